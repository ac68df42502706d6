#!/bin/sh
# SPDX-License-Identifier: ISC
# install-as.sh PROGRAM DIR NAME: meson install's step for an example
# installed under a prefixed name (-Dexamples=install): PROGRAM (built)
# as DIR/NAME, DIR below the prefix, honouring DESTDIR.
set -eu
dir=${DESTDIR:-}$MESON_INSTALL_PREFIX/$2
mkdir -p "$dir"
install -m 0755 "$1" "$dir/$3"
echo "Installing $1 to $dir/$3"
