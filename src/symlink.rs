//! Where a symlink in a tree really points: followed component by component through other
//! symlinks of the same tree, so `a -> b/x` with `b -> /etc` is seen to leave the repository.

/// More hops than this is a loop (the kernel's own limit is 40).
const MAX_HOPS: usize = 40;

/// The repository-relative path the symlink at `link` with `target` resolves to, or `None` if
/// it leaves the repository (an absolute target, too many `..`, or a loop). `symlink_at`
/// returns the target of the symlink at a path of the tree, if that path is a symlink.
pub(crate) fn resolve(
    link: &[u8],
    target: &[u8],
    mut symlink_at: impl FnMut(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut resolved: Vec<Vec<u8>> = link.split(|b| *b == b'/').map(<[u8]>::to_vec).collect();
    resolved.pop();
    let mut pending: Vec<Vec<u8>> = components(target)?;
    pending.reverse();
    let mut hops = 0;
    while let Some(component) = pending.pop() {
        match component.as_slice() {
            b"" | b"." => {}
            b".." => {
                resolved.pop()?;
            }
            _ => {
                resolved.push(component);
                let here = resolved.join(&b'/');
                if let Some(next) = symlink_at(&here) {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return None;
                    }
                    resolved.pop();
                    let mut more = components(&next)?;
                    more.reverse();
                    pending.extend(more);
                }
            }
        }
    }
    if resolved.is_empty() {
        // The repository root itself.
        return Some(b".".to_vec());
    }
    Some(resolved.join(&b'/'))
}

/// A relative target's components; `None` for absolute or empty targets.
fn components(target: &[u8]) -> Option<Vec<Vec<u8>>> {
    if target.is_empty() || target.first() == Some(&b'/') {
        return None;
    }
    Some(target.split(|b| *b == b'/').map(<[u8]>::to_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use std::collections::HashMap;

    fn r(links: &[(&str, &str)], link: &str, target: &str) -> Option<String> {
        let map: HashMap<Vec<u8>, Vec<u8>> = links
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        resolve(link.as_bytes(), target.as_bytes(), |p| map.get(p).cloned())
            .map(|p| String::from_utf8(p).unwrap())
    }

    #[test]
    fn resolves_relative_targets() {
        assert_eq!(r(&[], "a/b/link", "../c/d").as_deref(), Some("a/c/d"));
        assert_eq!(r(&[], "link", "./x/./y").as_deref(), Some("x/y"));
        assert_eq!(r(&[], "a/link", "..").as_deref(), Some("."));
    }

    #[test]
    fn escaping_targets_are_none() {
        assert_eq!(r(&[], "link", "/etc/passwd"), None);
        assert_eq!(r(&[], "a/link", "../../x"), None);
        assert_eq!(r(&[], "link", ""), None);
    }

    #[test]
    fn follows_other_symlinks_of_the_tree() {
        let tree = [
            ("b", "/etc"),
            ("lib", "vendor/lib"),
            ("loop1", "loop2"),
            ("loop2", "loop1"),
        ];
        assert_eq!(r(&tree, "a", "b/passwd"), None);
        assert_eq!(r(&tree, "x/y", "../lib/z").as_deref(), Some("vendor/lib/z"));
        assert_eq!(r(&tree, "a", "loop1"), None);
    }
}
