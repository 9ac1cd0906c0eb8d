# Whether a line of the message file holds `Agent-`, in any case: an Agent-Task trailer would
# make the commit agent work.
names_agent() {
	[ -r "$1" ] || return 1
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in *[Aa][Gg][Ee][Nn][Tt]-*) return 0 ;; esac
	done < "$1"
	return 1
}
