#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every row of the bad-input table in Documentation/bad-input.rst, run
# against the real module: each write gets its documented errno and log
# line, changes nothing, and leaves verify consistent.
exec python3 "$PCPOOL_TOP/scripts/guest/bad_input.py" "$PCPOOL_TOP/Documentation/bad-input.rst"
