#!/usr/bin/env bash
# mailstack-more.sh up|down|env|status — more mail servers for the interop
# suite, beside scripts/mailstack.sh's Dovecot and Postfix (whose ports and
# processes it never touches), each on 127.0.0.1:
#
#   cyrus      Cyrus IMAP 3.6 with POP3 and LMTP   (Debian's cyrus-imapd/-pop3d)
#   courier    Courier IMAP 5.0 with courier-pop    (Debian's courier-imap/-pop)
#   maddy      maddy 0.8.1, IMAP and submission      (built from the Go module proxy)
#   opensmtpd  OpenSMTPD 6.8, submission             (Debian's opensmtpd)
#
# Installing cyrus-imapd, courier-imap or opensmtpd with apt would remove
# Dovecot or Postfix, so their packages are fetched with `apt-get download`,
# unpacked with `dpkg -x` under the cache folder and run from there; apt
# installs only the shared libraries they need (never removing a package).
# Cyrus, Courier and OpenSMTPD run in private mount namespaces (unshare -m)
# where their compiled-in paths (/etc/courier, /var/spool/smtpd, …) are bind
# mounts of folders under the state folder.
#
#   up    starts every server it can, in parallel, each wait bounded; a server
#         that cannot be installed or started is reported and left out (exit 0):
#         its tests skip, saying why. Idempotent: a running server is kept.
#   down  stops what `up` started, by PID, and removes the state folder.
#   env   prints the `export MAILSTACK_<SERVER>_*=...` lines the interop suite
#         reads; a server that is not running gets MAILSTACK_<SERVER>_SKIP.
#   status  one line per server: running, or why not.
#   stop NAME / start NAME
#         stop or start one server of a stack that is up (outbox retry tests).
#
# State folder: ${MAILSTACK_MORE_DIR:-/tmp/posta-mailstack-more}; cache (the
# packages, the unpacked trees, the maddy build): ${MAILSTACK_CACHE:-/var/cache/posta-mailstack}.
# Must run as root. Users on every server: alice@example.test / alicepw,
# bob@example.test / bobpw. One private CA signs every server's certificate.
set -uo pipefail

DIR="${MAILSTACK_MORE_DIR:-/tmp/posta-mailstack-more}"
CACHE="${MAILSTACK_CACHE:-/var/cache/posta-mailstack}"
HOST=127.0.0.1
WAIT_SECONDS="${MAILSTACK_WAIT:-30}"
MADDY_VERSION=v0.8.1
SERVERS="cyrus courier maddy opensmtpd"

# Ports: Dovecot/Postfix use 10xxx (scripts/mailstack.sh).
CYRUS_IMAP=11143 CYRUS_IMAPS=11993 CYRUS_POP3=11110 CYRUS_POP3S=11995
COURIER_IMAP=12143 COURIER_IMAPS=12993 COURIER_POP3=12110 COURIER_POP3S=12995
MADDY_IMAP=13143 MADDY_IMAPS=13993 MADDY_SUBMISSION=13587 MADDY_SMTPS=13465
OPENSMTPD_SUBMISSION=14587 OPENSMTPD_SMTPS=14465

log() { printf 'mailstack-more: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# wait_ports NAME PORT… waits up to WAIT_SECONDS for every port.
wait_ports() {
	local name=$1 deadline=$((SECONDS + WAIT_SECONDS)) p pending
	shift
	while :; do
		pending=""
		for p in "$@"; do port_open "$p" || pending="$pending $p"; done
		[ -z "$pending" ] && return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "ports not accepting connections after ${WAIT_SECONDS}s:$pending" >"$DIR/$name.why"
			return 1
		fi
		sleep 0.2
	done
}

pid_alive() { [ -s "$1" ] && kill -0 "$(tr -d ' \n' <"$1")" 2>/dev/null; }

# skip NAME REASON records why a server does not run, and fails.
skip() {
	echo "$2" >"$DIR/$1.why"
	return 1
}

# ---------------------------------------------------------------- packages
APTLOG="$DIR/apt.log"
ROOT="$CACHE/root" # the unpacked Debian packages

# apt_libs PKG… installs shared libraries, refusing anything that would
# remove a package.
apt_libs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	local sim
	sim=$(apt-get -o DPkg::Lock::Timeout=120 -s install --no-install-recommends "${missing[@]}" </dev/null 2>&1)
	if [ $? -ne 0 ] || ! grep -q '^Inst' <<<"$sim"; then
		apt-get update -q </dev/null >>"$APTLOG" 2>&1
		sim=$(apt-get -o DPkg::Lock::Timeout=120 -s install --no-install-recommends "${missing[@]}" </dev/null 2>&1) || return 1
	fi
	if grep -q '^Remv' <<<"$sim"; then
		log "installing ${missing[*]} would remove packages; not installing"
		return 1
	fi
	local policy=/usr/sbin/policy-rc.d made=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made=1
	fi
	apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "${missing[@]}" </dev/null >>"$APTLOG" 2>&1
	local rc=$?
	[ -n "$made" ] && rm -f "$policy"
	return $rc
}

# unpack PKG… downloads Debian packages into the cache and unpacks them
# into $ROOT (once).
unpack() {
	local p debs="$CACHE/debs"
	mkdir -p "$debs" "$ROOT"
	for p in "$@"; do
		[ -e "$ROOT/.unpacked-$p" ] && continue
		if ! ls "$debs/${p}_"*.deb >/dev/null 2>&1; then
			(cd "$debs" && apt-get download "$p" </dev/null >>"$APTLOG" 2>&1) ||
				{ apt-get update -q </dev/null >>"$APTLOG" 2>&1 && (cd "$debs" && apt-get download "$p" </dev/null >>"$APTLOG" 2>&1); } ||
				return 1
		fi
		dpkg -x "$(ls "$debs/${p}_"*.deb | head -n 1)" "$ROOT" || return 1
		touch "$ROOT/.unpacked-$p"
	done
}

# missing_libs BINARY… prints the shared libraries the binaries lack.
missing_libs() {
	LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib" ldd "$@" 2>/dev/null |
		awk '/not found/ {print $1}' | sort -u | tr '\n' ' '
}

system_user() {
	id "$1" >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1" >/dev/null 2>&1
}

# Apt and dpkg take one lock: the servers install one at a time.
with_apt_lock() {
	(
		flock -w 240 9 || exit 1
		"$@"
	) 9>"$DIR/.apt.lock"
}

# ---------------------------------------------------------------- certificates
make_certs() {
	[ -s "$DIR/ca.pem" ] && [ -s "$DIR/server.pem" ] && [ -s "$DIR/server.key" ] && [ -s "$DIR/server-ec.pem" ] && return 0
	local t="$DIR/tls-work"
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
		-subj "/CN=posta mailstack-more test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$t/ca.key" -out "$DIR/ca.pem" 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
		-keyout "$DIR/server.key" -out "$t/server.csr" 2>/dev/null || return 1
	cat >"$t/ext.cnf" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:localhost,IP:127.0.0.1
	EOF
	openssl x509 -req -in "$t/server.csr" -CA "$DIR/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
		-days 30 -sha256 -extfile "$t/ext.cnf" -out "$DIR/server.pem" 2>/dev/null || return 1
	# OpenSMTPD 6.8's privilege-separated RSA signing fails under OpenSSL 3
	# ("EVP lib"): it gets an ECDSA key from the same CA.
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -subj "/CN=localhost" \
		-keyout "$DIR/server-ec.key" -out "$t/server-ec.csr" 2>/dev/null || return 1
	openssl x509 -req -in "$t/server-ec.csr" -CA "$DIR/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
		-days 30 -sha256 -extfile "$t/ext.cnf" -out "$DIR/server-ec.pem" 2>/dev/null || return 1
	rm -rf "$t"
	cat "$DIR/server.key" "$DIR/server.pem" >"$DIR/server-combined.pem"
	chmod 0644 "$DIR/ca.pem" "$DIR/server.pem"
	chmod 0644 "$DIR/server-ec.pem"
	chmod 0600 "$DIR/server.key" "$DIR/server-ec.key" "$DIR/server-combined.pem"
}

. "$(dirname "$0")/mailstack-more.d/maddy.sh"
. "$(dirname "$0")/mailstack-more.d/opensmtpd.sh"
. "$(dirname "$0")/mailstack-more.d/cyrus.sh"
. "$(dirname "$0")/mailstack-more.d/courier.sh"

# ---------------------------------------------------------------- commands
cmd_up() {
	local t0=$SECONDS s
	[ "$(id -u)" -eq 0 ] || die "up must run as root"
	case "$DIR" in /*) ;; *) die "MAILSTACK_MORE_DIR must be an absolute path: '$DIR'" ;; esac
	mkdir -p "$DIR" "$CACHE"
	chmod 0755 "$DIR"
	make_certs || die "cannot make certificates (openssl)"
	local pids=()
	for s in $SERVERS; do
		(
			rm -f "$DIR/$s.why"
			if "${s}_running"; then
				exit 0
			fi
			# A server gets 10 minutes at most, its installation included
			# (maddy's first build takes 2-5 minutes on 2 cores).
			"up_$s" >>"$DIR/$s.log" 2>&1 || { [ -s "$DIR/$s.why" ] || echo "failed to start (see $DIR/$s.log)" >"$DIR/$s.why"; exit 1; }
		) &
		pids+=($!)
	done
	local deadline=$((SECONDS + 600)) i
	for i in "${!pids[@]}"; do
		while kill -0 "${pids[$i]}" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
		if kill -0 "${pids[$i]}" 2>/dev/null; then
			kill "${pids[$i]}" 2>/dev/null
			echo "up took longer than 600s" >"$DIR/$(echo $SERVERS | cut -d' ' -f$((i + 1))).why"
		fi
		wait "${pids[$i]}" 2>/dev/null
	done
	cmd_status >&2
	log "up in $((SECONDS - t0))s (state: $DIR)"
}

cmd_status() {
	local s
	for s in $SERVERS; do
		if "${s}_running" && [ ! -s "$DIR/$s.why" ]; then
			printf 'mailstack-more: %-9s running\n' "$s"
		else
			printf 'mailstack-more: %-9s NOT running: %s\n' "$s" "$(cat "$DIR/$s.why" 2>/dev/null || echo 'not started')"
		fi
	done
}

cmd_down() {
	local s
	for s in $SERVERS; do "down_$s" 2>/dev/null || true; done
	case "$DIR" in / | "") die "refusing to remove '$DIR'" ;; esac
	rm -rf "$DIR"
	log "down"
}

cmd_env() {
	local s up
	echo "export MAILSTACK_MORE_CA=$DIR/ca.pem"
	for s in $SERVERS; do
		up=""
		"${s}_running" && [ ! -s "$DIR/$s.why" ] && up=1
		local S
		S=$(echo "$s" | tr a-z A-Z)
		if [ -z "$up" ]; then
			printf "export MAILSTACK_%s_SKIP=%q\n" "$S" "$(cat "$DIR/$s.why" 2>/dev/null || echo 'not started: run scripts/mailstack-more.sh up')"
			continue
		fi
		"env_$s"
	done
	return 0
}

# cmd_stop / cmd_start NAME stop or start one server of a stack that is
# up (for outbox retry tests); start waits as up does.
known_server() {
	case " $SERVERS " in *" ${1:-} "*) return 0 ;; esac
	die "unknown server '${1:-}' (one of: $SERVERS)"
}

cmd_stop() {
	known_server "$1"
	"down_$1"
	log "$1 stopped"
}

cmd_start() {
	known_server "$1"
	[ -d "$DIR" ] || die "no stack in $DIR: run up first"
	"${1}_running" && return 0
	rm -f "$DIR/$1.why"
	"up_$1" >>"$DIR/$1.log" 2>&1 || die "$1 failed to start: $(cat "$DIR/$1.why" 2>/dev/null)"
	log "$1 started"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
status) cmd_status ;;
stop) cmd_stop "${2:-}" ;;
start) cmd_start "${2:-}" ;;
*)
	echo "usage: $0 up|down|env|status|stop NAME|start NAME" >&2
	exit 2
	;;
esac
