/**
 * The reaper itself: a POSIX `sh` script run as `sh -c REAPER_SCRIPT procvisor-reaper <proc> <prefix>`.
 *
 * Why `sh` and not Node: the reaper idles for the whole life of the host, so its cost is paid for
 * ever; an idle `sh` (dash) blocked in `read` holds 1.7 MB resident, an idle Node 41 MB.
 *
 * Protocol on stdin, one line each: `+ <pid> <starttime|-> [<cookie>]` registers a child (a
 * process-group leader) and the tree cookie its descendants inherit (`PROCVISOR_TREE`, see
 * process/cookie.ts), `- <pid>` forgets both. End of input means the host is gone (exit, crash or
 * SIGKILL: the kernel closes the host's end of the pipe in every case). The reaper then:
 *   1. finds every process whose environment holds a registered cookie, a cookie nested under one
 *      (`<cookie>/…`: a procvisor host inside the tree), or a cookie that starts with the host's
 *      `<prefix>` (a child forked a moment before the host died, whose registration never arrived) —
 *      a descendant that left the group and lost its parent link is found only so — with one `grep`
 *      over `/proc/[0-9]*\/environ`;
 *   2. scans the process table once (`cat` of every stat file, cut by `awk`, or by a slower shell
 *      loop where there is no awk) and collects those, every registered pid whose start time still
 *      matches, every descendant by parent links (so grandchildren in other sessions are found),
 *      and every process in the groups of those, to a fixed point;
 *   3. SIGTERMs their groups (and members outside any group it may signal, one by one);
 *   4. polls for up to ~0.5 s until they are gone (6 polls, the first after 20 ms);
 *   5. looks again (1 and 2, catching anything forked meanwhile) and SIGKILLs whatever remains,
 *      again until a look finds no process it had not seen (at most 100 looks); then exits.
 * The host's group and the reaper's own group are never signalled. SIGINT and SIGHUP are ignored
 * (a terminal sends them to a whole job), and so is SIGTERM: a supervisor stopping the host's tree
 * (a procvisor host supervised by another) sends it to every descendant, the reaper included, which
 * must still clean up once its host is gone. SIGKILL ends it.
 *
 * `$1` is `1` where `/proc/<pid>/stat` exists (Linux); otherwise `ps -A -o pid=,ppid=,pgid=` feeds
 * the scan, start times are not checked, and cookies are not looked for (no portable way to read
 * another process's environment).
 *
 * Written in a template literal: every shell `${` is escaped as `\${`, backslashes are doubled,
 * and the script uses no backticks.
 */
import { TREE_COOKIE_ENV } from '../cookie.js';

export const REAPER_SCRIPT = `
trap '' INT HUP TERM
set -f
proc=
case $1 in 1) proc=1 ;; esac
prefix=
case $2 in ''|*[!0-9./]*) ;; *) prefix=$2 ;; esac
me=$$
ifs=$IFS
nl='
'
reg=' '
cookies=' '
hostpgid=

# stat_of PID: sets s_state s_ppid s_pgid s_start from /proc/PID/stat, fails when it is unreadable.
# Fields are counted after the last ') ': the command name before it may hold spaces and parens.
stat_of() {
  s=
  { read -r s < "/proc/$1/stat"; } 2>/dev/null
  case $s in
    *') '*) ;;
    *) s=$(cat "/proc/$1/stat" 2>/dev/null) ;;
  esac
  case $s in *') '*) ;; *) return 1 ;; esac
  s=\${s##*') '}
  set -- $s
  s_state=$1 s_ppid=$2 s_pgid=$3 s_start=\${20}
}

# alive PID START: true while PID runs (not a zombie) with that start time ('-': unchecked)
alive() {
  if [ -n "$proc" ]; then
    stat_of "$1" || return 1
    case $s_state in Z|X) return 1 ;; esac
    [ "$2" = - ] || [ "$s_start" = "$2" ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}

# has LIST WORD: true when the space-delimited LIST holds WORD
has() {
  case $1 in *" $2 "*) return 0 ;; esac
  return 1
}

if [ -n "$proc" ]; then
  stat_of "$PPID" && hostpgid=$s_pgid
else
  hostpgid=$(ps -o pgid= -p "$PPID" 2>/dev/null)
  hostpgid=\${hostpgid##* }
fi

# reg holds "pid:start" words, cookies "pid=cookie" words (a cookie is digits and dots)
while read -r op pid start cookie; do
  case $pid in ''|*[!0-9]*) continue ;; esac
  [ -n "$proc" ] || start=-
  case $op in
    +)
      reg="$reg$pid:\${start:--} "
      case $cookie in ''|*[!0-9./]*) ;; *) cookies="$cookies$pid=$cookie " ;; esac
      ;;
    -)
      keep=' '
      for e in $reg; do
        case $e in "$pid":*) ;; *) keep="$keep$e " ;; esac
      done
      reg=$keep
      keep=' '
      for e in $cookies; do
        case $e in "$pid"=*) ;; *) keep="$keep$e " ;; esac
      done
      cookies=$keep
      ;;
  esac
done

# marked: adds "pid:-" to seeds for every process whose environment holds a registered cookie
# (as a whole entry, so cookie 1.2.3 does not match 1.2.30), a cookie nested under one
# ("cookie/..."), or one that starts with the host's prefix. One extended regular expression, its
# dots escaped by one sed. With grep -z (GNU, busybox) one grep reads every environ as NUL-separated
# entries, anchored per entry; without it, a plain grep -a picks the candidates and each is checked
# entry by entry through tr. Unreadable files are skipped.
marked() {
  [ -n "$proc" ] || return 0
  [ "$cookies" = ' ' ] && [ -z "$prefix" ] && return 0
  if [ -z "$zgrep" ]; then
    zgrep=no
    printf 'x\\0' | grep -q -z -E '^x$' 2>/dev/null && zgrep=yes
  fi
  alts=
  for e in $cookies; do alts="$alts|\${e#*=}"; done
  alts=\${alts#|}
  re=
  [ -n "$alts" ] && re="($(printf '%s' "$alts" | sed 's/[.]/\\\\./g'))(/.*)?"
  [ -n "$prefix" ] && re="\${re:+$re|}$(printf '%s' "$prefix" | sed 's/[.]/\\\\./g').*"
  re="^${TREE_COOKIE_ENV}=($re)$"
  set +f
  if [ "$zgrep" = yes ]; then
    files=$(grep -l -s -z -E "$re" /proc/[0-9]*/environ)
  else
    files=
    for f in $(grep -l -s -a -F "${TREE_COOKIE_ENV}=" /proc/[0-9]*/environ); do
      tr '\\0' '\\n' < "$f" 2>/dev/null | grep -q -E "$re" && files="$files $f"
    done
  fi
  set -f
  for f in $files; do
    p=\${f#/proc/}
    p=\${p%/environ}
    [ "$p" = "$me" ] || seeds="$seeds$p:- "
  done
}

# scan: table of "pid ppid pgid start" lines, one per live process other than the reaper. One cat
# reads every stat file (the read builtin may read byte by byte) and awk cuts the fields: a shell
# loop with pattern matching takes a second for a thousand processes, awk a few milliseconds.
# Fields are counted after the last ') ' (the command name may hold spaces and parens); a line
# with too few fields is the first part of a command name holding a newline: join the next one.
scan() {
  table=
  if [ -n "$proc" ] && command -v awk >/dev/null 2>&1; then
    set +f
    table=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v me="$me" '
      {
        line = (part == "") ? $0 : (part " " $0)
        if (!match(line, /[)] [^)]*$/)) { part = line; next }
        if (split(substr(line, RSTART + 2), f, " ") < 20) { part = line; next }
        part = ""
        pid = substr(line, 1, index(line, " (") - 1)
        if (pid != me && f[1] != "Z" && f[1] != "X") print pid, f[2], f[3], f[20]
      }')
    set -f
  elif [ -n "$proc" ]; then
    set +f
    stats=$(cat /proc/[0-9]*/stat 2>/dev/null)
    set -f
    part=
    IFS=$nl
    for line in $stats; do
      IFS=$ifs
      line="$part$line"
      rest=\${line##*') '}
      set -- $rest
      if [ "$#" -lt 20 ]; then part="$line "; continue; fi
      part=
      case $1 in Z|X) continue ;; esac
      p=\${line%%' ('*}
      [ "$p" = "$me" ] && continue
      table="$table$p $2 $3 \${20}$nl"
    done
    IFS=$ifs
  else
    table=$(ps -A -o pid= -o ppid= -o pgid= 2>/dev/null)
  fi
}

# collect: members = seeds still running + their descendants + members of their groups, to a
# fixed point; groups grows with every member's group, except the host's, ours and init's: members
# in those are loners, to be signalled one by one
collect() {
  members=' '
  loners=' '
  pids=' '
  more=1
  while [ -n "$more" ]; do
    more=
    IFS=$nl
    for row in $table; do
      IFS=' '
      set -- $row
      p=$1 pp=$2 g=$3 t=\${4:--}
      [ -n "$g" ] || continue
      has "$pids" "$p" && continue
      if has "$seeds" "$p:$t" || has "$seeds" "$p:-" || has "$pids" "$pp" || has "$groups" "$g"; then
        pids="$pids$p "
        members="$members$p:$t "
        if [ "$g" -le 1 ] || [ "$g" = "$hostpgid" ] || [ "$g" = "$me" ]; then
          loners="$loners$p:$t "
        elif ! has "$groups" "$g"; then
          groups="$groups$g "
        fi
        more=1
      fi
    done
    IFS=$ifs
  done
}

# hit SIG: signal every group, then every loner still carrying its start time (a member reached
# through its group is not signalled twice: to some programs a second SIGTERM means "force")
hit() {
  for g in $groups; do kill -s "$1" -- "-$g" 2>/dev/null; done
  for e in $loners; do
    alive "\${e%%:*}" "\${e#*:}" && kill -s "$1" "\${e%%:*}" 2>/dev/null
  done
}

zgrep=
seeds=$reg
marked
groups=' '
scan
collect
[ "$members" = ' ' ] && exit 0
hit TERM
# Grace of 0.5 s in all, polled early and often first: most trees are gone within milliseconds of
# SIGTERM, and every sleep is a fork. A sleep without fractions waits 1 s once instead.
for delay in 0.02 0.03 0.05 0.1 0.1 0.2; do
  sleep "$delay" 2>/dev/null || { sleep 1; break; }
  left=
  for e in $members; do
    alive "\${e%%:*}" "\${e#*:}" && { left=1; break; }
  done
  [ -n "$left" ] || break
done
# Then SIGKILL whatever is left, and look again until a look finds nothing it had not seen: a
# member may have forked between a look and its SIGKILL, and a process that keeps re-forking into
# new sessions (each generation gone before the next look) is outrun only so. SIGKILLed members
# cannot fork again. Bounded, for a fork storm no look can outrun.
prev=' '
round=0
while [ "$round" -lt 100 ]; do
  seeds=$members
  marked
  scan
  collect
  [ "$members" = ' ' ] && exit 0
  hit KILL
  fresh=
  for p in $pids; do has "$prev" "$p" || { fresh=1; break; }; done
  [ -n "$fresh" ] || exit 0
  prev=$pids
  round=$((round + 1))
done
exit 0
`;
