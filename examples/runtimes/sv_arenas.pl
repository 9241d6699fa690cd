#!/usr/bin/perl
# sv_arenas.pl [KEYS] [ROUNDS]: builds a hash of KEYS keys (default
# 300000), keeps a small hash made after it, frees the big one (undef),
# ROUNDS times (default 1); prints "rss_kb=N" (VmRSS) after each round,
# then "holding pid N" and idles.  Perl keeps the freed scalars and hash
# entries in its own arenas and reuses them: glibc sees them in use, and
# a second round does not raise the RSS (the oracle that it is reuse,
# not a leak).
use strict; use warnings;
my ($n, $rounds) = (shift // 300_000, shift // 1);
our @keep;
sub rss_kb { open my $f, '<', "/proc/self/status" or return -1;
	     while (<$f>) { return $1 if /^VmRSS:\s+(\d+)/ } return -1 }
$| = 1;
for my $r (1 .. $rounds) {
	my %h; $h{"key$_"} = "v" x 20 . $_ for 1 .. $n;
	push @keep, { map { ("s$r$_" => $_) } 1 .. 1000 };
	undef %h;
	print "rss_kb=", rss_kb(), "\n";
}
print "holding pid $$\n";
sleep 3600;
