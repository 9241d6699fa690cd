# tcl_cache.tcl [KEYS] [ROUNDS]: builds a dict of KEYS keys (default
# 200000), keeps a small dict made after it, unsets the big one, ROUNDS
# times (default 1); prints "rss_kb=N" (VmRSS) after each round, then
# "holding pid N" and idles.  Threaded Tcl's allocator keeps the freed
# objects in its per-thread caches and reuses them: glibc sees them in
# use, and a second round does not raise the RSS.
set n [expr {$argc > 0 ? [lindex $argv 0] : 200000}]
set rounds [expr {$argc > 1 ? [lindex $argv 1] : 1}]
proc rss_kb {} {
	set f [open /proc/self/status]
	set kb -1
	foreach line [split [read $f] \n] {
		if {[regexp {^VmRSS:\s+(\d+)} $line -> kb]} break
	}
	close $f
	return $kb
}
set keep {}
for {set r 1} {$r <= $rounds} {incr r} {
	set d [dict create]
	for {set i 0} {$i < $n} {incr i} { dict set d key$i [string repeat v 20]$i }
	set small [dict create]
	for {set i 0} {$i < 1000} {incr i} { dict set small s$r$i $i }
	lappend keep $small
	unset d
	puts "rss_kb=[rss_kb]"
}
puts "holding pid [pid]"; flush stdout
after 3600000
