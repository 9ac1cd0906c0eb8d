# The mark names the git process by pid and start time (field 22 of /proc/<pid>/stat, where
# there is a /proc), so a process that got its pid again, in a container say, is not it;
# nor is one whose name holds a newline (the line read is cut short).
mark="${GIT_DIR:-.git}/agentguard-human"
started() { [ $# -ge 20 ] || return 1; shift 19; since=$1; }
marked() {
	[ -f "$mark" ] && read -r pid start < "$mark" && [ "$pid" = "$PPID" ] || return 1
	[ -r "/proc/$PPID/stat" ] || { [ -z "$start" ]; return; }
	read -r stat < "/proc/$PPID/stat" && started ${stat##*") "} && [ "$since" = "$start" ]
}
