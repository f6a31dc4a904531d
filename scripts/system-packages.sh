#!/usr/bin/env bash
# Install the Debian packages the test suite needs (PostgreSQL server, Chromium, Dovecot
# IMAP and openssl for the email tests, HAProxy for the multi-process test), unless they are there already. Needs root (or sudo) the
# first time only.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # test certificates for mail TLS
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)  # the load balancer of tests/test_scale_out.py
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Debian's postinst would start a system Dovecot on ports 143/993 (and HAProxy); the tests run their
# own unprivileged one, so a policy-rc.d that denies service starts is put in place for
# the install when none exists (containers usually have one already).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  own_policy=1
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ -n "$own_policy" ] && $sudo rm -f "$policy"
true
