#!/bin/sh
# SPDX-License-Identifier: ISC
# No program in the tree reads a call's return value the old way (issue
# 16): a refusal by the helper is -1 with errno and res->refused, so a
# call's result compared with an errno constant or with "> 0", or a
# "refused"/"local" choice made on its sign, is the old positive-errno
# contract that let `if (call(...) < 0)` take a refusal for success.
# Looks at the C sources of examples/, tests/, bench/, tools/, framework/
# and the C blocks of README.md.  Usage: no-positive-errno.sh SRCROOT
set -eu
root=$1
files=$(find "$root/examples" "$root/tests" "$root/bench" "$root/tools" "$root/framework" \
	-name '*.c' -o -name '*.h' | sort)
perl -0777 -ne '
	BEGIN { $bad = 0; }
	my $calls = qr/(?:privsep_client_call|privsep_client_ping|privsep_client_drop_permits|privsep_fs_open|privsep_fs_stat|privsep_fs_readlink|privsep_fs_access|hx_bg_wait)/;
	my $p = qr/(\((?:[^()]++|(?-1))*\))/;
	my $text = $_;
	my @pats = (
		[qr/$calls\s*$p\s*(?:==|!=|>=|>)\s*(?:E[A-Z0-9]+|[1-9]\d*)\b/, "a call compared with an errno or a positive number"],
		[qr/assert_int_equal\(\s*$calls\s*$p\s*,\s*E[A-Z0-9]+\s*\)/, "a call asserted equal to an errno"],
		[qr/\b(?:rc|ret|r)\s*>\s*0\s*\?[^;]*detail/, "a detail chosen on a positive return"],
		[qr/"local"\s*:\s*"refused"|"refused"\s*:\s*"local"/, "refused or local told by the sign"],
	);
	for my $pp (@pats) {
		my ($re, $what) = @$pp;
		while ($text =~ /$re/g) {
			my $line = 1 + (substr($text, 0, $-[0]) =~ tr/\n//);
			print STDERR "$ARGV:$line: $what: " . substr($&, 0, 100) . "\n";
			$bad++;
		}
	}
	END { exit($bad ? 1 : 0); }
' $files "$root/README.md"
