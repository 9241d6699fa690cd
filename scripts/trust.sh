# Sourced by memsleuth's shell helpers (stap-bpf-setup, rootfs): the trust
# rule of src/lib/util/trust.h in shell.  A path memsleuth runs, loads or
# keeps a cache in is used only when it and every directory holding it
# (symlinks resolved) are owned by the invoking user or root and not
# writable by group or others; a root-owned sticky directory (/tmp) on the
# way is allowed.  A path that does not exist yet is judged by its nearest
# existing ancestor (what would hold it).

# ms_trusted PATH WAY_OUT: 0 when trusted; else one line on stderr naming
# the component, its owner and mode, and WAY_OUT; returns 1.
ms_trusted() {
	_arg=$1 _way=$2 _p=$1
	while [ ! -e "$_p" ] && [ "$_p" != / ] && [ "$_p" != . ]; do _p=$(dirname -- "$_p"); done
	_p=$(readlink -f -- "$_p") || { echo "$(basename -- "$0"): $_arg: cannot resolve ($_way)" >&2; return 1; }
	_me=$(id -u) _d=/ _rest=${_p#/}
	while :; do
		# shellcheck disable=SC2046
		set -- $(stat -c '%u %a %U' -- "$_d") || return 1
		_uid=$1 _mode=$(( 0$2 )) _user=$3 _ok=1
		[ "$_uid" = "$_me" ] || [ "$_uid" = 0 ] || _ok=0
		if [ $(( _mode & 18 )) != 0 ]; then   # 022: group/other-writable
			# allowed only for a root-owned sticky directory on the way
			if [ -z "$_rest" ] || [ ! -d "$_d" ] || [ $(( _mode & 512 )) = 0 ] || [ "$_uid" != 0 ]; then
				_ok=0
			fi
		fi
		if [ "$_ok" = 0 ]; then
			echo "$(basename -- "$0"): $_arg: $_d is owned by uid $_uid ($_user) with mode $(printf %04o "$_mode"): another user could replace what is there, so it is not used ($_way)" >&2
			return 1
		fi
		[ -z "$_rest" ] && return 0
		_comp=${_rest%%/*}
		case $_rest in */*) _rest=${_rest#*/} ;; *) _rest= ;; esac
		_d=${_d%/}/$_comp
	done
}
