#!/usr/bin/env bash
# mailstack.sh up|down|env|stop-postfix|start-postfix|add-user|index — a closed Dovecot +
# Postfix test stack on 127.0.0.1.
#
#   up    installs Debian's dovecot-imapd/-pop3d/-lmtpd and postfix if missing,
#         writes every configuration file into the state folder (never /etc),
#         generates a test CA and server certificate, starts both daemons on
#         high loopback ports and waits until every port accepts connections.
#   down  stops what `up` started and removes the state folder.
#   env   prints the `export MAILSTACK_*=...` lines the interop tests read.
#   stop-postfix / start-postfix
#         stop or start only Postfix of a stack that is up (for outbox retry
#         tests); each waits until the SMTP ports are closed / accepting.
#   add-user NAME@example.test PASSWORD
#         adds (or re-passwords) a user of a stack that is up and prints the
#         path of its Maildir, where mail may be written directly (the
#         benchmark seeds big folders that way); then run `index`.
#   index NAME@example.test
#         gives the user's mail to Dovecot (ownership), makes Dovecot rescan
#         the Maildir written behind its back and builds its index, so the
#         first client does not pay for it.
#
# State folder: ${MAILSTACK_DIR:-/tmp/posta-mailstack}. Must run as root
# (package installation, and Postfix/Dovecot drop privileges themselves).
# Users: alice@example.test / alicepw, bob@example.test / bobpw.
set -euo pipefail

DIR="${MAILSTACK_DIR:-/tmp/posta-mailstack}"
HOST=127.0.0.1
PORT_IMAP_STARTTLS=10143
PORT_IMAPS=10993
PORT_POP3_STLS=10110
PORT_POP3S=10995
PORT_SUBMISSION=10587
PORT_SMTPS=10465
ALL_PORTS="$PORT_IMAP_STARTTLS $PORT_IMAPS $PORT_POP3_STLS $PORT_POP3S $PORT_SUBMISSION $PORT_SMTPS"
WAIT_SECONDS="${MAILSTACK_WAIT:-30}"

log() { printf 'mailstack: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- install
install_packages() {
	local missing=()
	command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd dovecot-pop3d dovecot-lmtpd)
	[ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
	[ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
	[ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
	command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || missing+=(postfix)
	command -v openssl >/dev/null 2>&1 || missing+=(openssl)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "packages missing (${missing[*]}) and not root"
	# De-duplicate while keeping order.
	local pkgs
	pkgs=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
	log "installing: $pkgs"
	export DEBIAN_FRONTEND=noninteractive
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "postfix postfix/mailname string localhost" | debconf-set-selections
	# Keep the packages' maintainer scripts from starting system-wide
	# daemons (no policy-rc.d exists on some fresh images).
	local policy=/usr/sbin/policy-rc.d made_policy=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made_policy=1
	fi
	# Fresh machines may have stale or no package lists: on failure,
	# update once and retry.
	local aptlog=/tmp/mailstack-apt.log ok=1
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io $pkgs </dev/null >"$aptlog" 2>&1; then
		log "install failed with the current package lists; running apt-get update"
		# shellcheck disable=SC2086
		apt-get update -q </dev/null >>"$aptlog" 2>&1 &&
			apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io $pkgs </dev/null >>"$aptlog" 2>&1 || ok=""
	fi
	if [ -n "$made_policy" ]; then rm -f "$policy"; fi
	if [ -z "$ok" ]; then
		tail -n 50 "$aptlog" >&2
		die "package installation failed (full log: $aptlog)"
	fi
	log "installed"
}

# ---------------------------------------------------------------- certificates
make_certs() {
	[ -s "$DIR/ca.pem" ] && [ -s "$DIR/server.pem" ] && [ -s "$DIR/server.key" ] && return 0
	local t="$DIR/tls-work"
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
		-subj "/CN=posta mailstack test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$t/ca.key" -out "$DIR/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
		-keyout "$DIR/server.key" -out "$t/server.csr" 2>/dev/null
	cat >"$t/ext.cnf" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:localhost,IP:127.0.0.1
	EOF
	openssl x509 -req -in "$t/server.csr" -CA "$DIR/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
		-days 30 -sha256 -extfile "$t/ext.cnf" -out "$DIR/server.pem" 2>/dev/null
	rm -rf "$t"
	chmod 0600 "$DIR/server.key"
	chmod 0644 "$DIR/ca.pem" "$DIR/server.pem"
}

# ---------------------------------------------------------------- dovecot
write_dovecot() {
	mkdir -p "$DIR/dovecot/run" "$DIR/mail"
	chown dovecot:dovecot "$DIR/mail" 2>/dev/null || true
	cat >"$DIR/dovecot/users" <<-EOF
		alice@example.test:{PLAIN}alicepw::::::
		bob@example.test:{PLAIN}bobpw::::::
	EOF
	chmod 0640 "$DIR/dovecot/users"
	chgrp dovecot "$DIR/dovecot/users"
	cat >"$DIR/dovecot/dovecot.conf" <<-EOF
		# Generated by scripts/mailstack.sh — test stack only.
		base_dir = $DIR/dovecot/run
		state_dir = $DIR/dovecot/state
		instance_name = posta-mailstack
		protocols = imap pop3 lmtp
		listen = $HOST
		log_path = $DIR/dovecot.log
		info_log_path = $DIR/dovecot.log
		ssl = required
		ssl_cert = <$DIR/server.pem
		ssl_key = <$DIR/server.key
		ssl_min_protocol = TLSv1.2
		disable_plaintext_auth = yes
		auth_mechanisms = plain login
		auth_verbose = yes
		# Tests try wrong passwords on purpose: no failure delay.
		auth_failure_delay = 0
		mail_location = maildir:$DIR/mail/%d/%n/Maildir
		mail_uid = dovecot
		mail_gid = dovecot
		first_valid_uid = 1
		pop3_uidl_format = %08Xu%08Xv

		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
		}
		userdb {
		  driver = passwd-file
		  args = username_format=%u $DIR/dovecot/users
		  default_fields = uid=dovecot gid=dovecot home=$DIR/mail/%d/%n
		}

		namespace inbox {
		  inbox = yes
		  separator = /
		  mailbox Sent {
		    special_use = \\Sent
		    auto = subscribe
		  }
		  mailbox Drafts {
		    special_use = \\Drafts
		    auto = subscribe
		  }
		  mailbox Trash {
		    special_use = \\Trash
		    auto = subscribe
		  }
		  mailbox Archive {
		    special_use = \\Archive
		    auto = subscribe
		  }
		  mailbox Junk {
		    special_use = \\Junk
		    auto = subscribe
		  }
		}

		service imap-login {
		  inet_listener imap {
		    address = $HOST
		    port = $PORT_IMAP_STARTTLS
		  }
		  inet_listener imaps {
		    address = $HOST
		    port = $PORT_IMAPS
		    ssl = yes
		  }
		}
		service pop3-login {
		  inet_listener pop3 {
		    address = $HOST
		    port = $PORT_POP3_STLS
		  }
		  inet_listener pop3s {
		    address = $HOST
		    port = $PORT_POP3S
		    ssl = yes
		  }
		}
		service lmtp {
		  unix_listener lmtp {
		    path = $DIR/dovecot/lmtp
		    mode = 0666
		  }
		}
		# The tests try wrong passwords on purpose: without the penalty
		# socket (moved aside) Dovecot adds no growing per-IP login delay.
		service anvil {
		  unix_listener anvil-auth-penalty {
		    path = anvil-auth-penalty-disabled
		  }
		}
		service auth {
		  unix_listener auth-postfix {
		    path = $DIR/dovecot/auth-postfix
		    mode = 0666
		  }
		}
		protocol lmtp {
		  postmaster_address = postmaster@example.test
		}
	EOF
	mkdir -p "$DIR/dovecot/state"
}

# ---------------------------------------------------------------- postfix
write_postfix() {
	local cf="$DIR/postfix"
	mkdir -p "$cf" "$DIR/postfix-queue" "$DIR/postfix-data"
	chown postfix "$DIR/postfix-data"
	cat >"$cf/main.cf" <<-EOF
		# Generated by scripts/mailstack.sh — test stack only; relays nowhere.
		compatibility_level = 3.6
		queue_directory = $DIR/postfix-queue
		data_directory = $DIR/postfix-data
		command_directory = /usr/sbin
		daemon_directory = /usr/lib/postfix/sbin
		meta_directory = /etc/postfix
		shlib_directory = /usr/lib/postfix
		mail_owner = postfix
		setgid_group = postdrop
		myhostname = mail.example.test
		mydomain = example.test
		myorigin = example.test
		mydestination =
		mynetworks = 127.0.0.0/8
		inet_interfaces = $HOST
		inet_protocols = ipv4
		maillog_file_prefixes = $DIR
		maillog_file = $DIR/postfix.log
		alias_maps =
		alias_database =
		local_recipient_maps =
		virtual_mailbox_domains = example.test
		virtual_mailbox_maps =
		virtual_transport = lmtp:unix:$DIR/dovecot/lmtp
		default_transport = error:this test stack relays nowhere
		relay_transport = error:this test stack relays nowhere
		local_transport = error:no local delivery
		relay_domains =
		smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
		smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination
		smtpd_tls_cert_file = $DIR/server.pem
		smtpd_tls_key_file = $DIR/server.key
		smtpd_tls_security_level = may
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = $DIR/dovecot/auth-postfix
		smtpd_sasl_auth_enable = no
		smtp_tls_security_level = none
		biff = no
		readme_directory = no
		append_dot_mydomain = no
		smtputf8_enable = yes
	EOF
	# Every service from master.cf, minus the port 25 listener and chroot.
	cat >"$cf/master.cf" <<-EOF
		$HOST:$PORT_SUBMISSION inet n - n - - smtpd
		  -o syslog_name=postfix/submission
		  -o smtpd_tls_security_level=encrypt
		  -o smtpd_sasl_auth_enable=yes
		  -o smtpd_tls_auth_only=yes
		  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
		  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
		  -o smtpd_recipient_restrictions=reject_unauth_destination,permit_sasl_authenticated,reject
		$HOST:$PORT_SMTPS inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
		  -o smtpd_sasl_auth_enable=yes
		  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
		  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
		  -o smtpd_recipient_restrictions=reject_unauth_destination,permit_sasl_authenticated,reject
		pickup    unix n - n 60 1 pickup
		cleanup   unix n - n - 0 cleanup
		qmgr      unix n - n 300 1 qmgr
		tlsmgr    unix - - n 1000? 1 tlsmgr
		rewrite   unix - - n - - trivial-rewrite
		bounce    unix - - n - 0 bounce
		defer     unix - - n - 0 bounce
		trace     unix - - n - 0 bounce
		verify    unix - - n - 1 verify
		flush     unix n - n 1000? 0 flush
		proxymap  unix - - n - - proxymap
		proxywrite unix - - n - 1 proxymap
		smtp      unix - - n - - smtp
		relay     unix - - n - - smtp
		showq     unix n - n - - showq
		error     unix - - n - - error
		retry     unix - - n - - error
		discard   unix - - n - - discard
		lmtp      unix - - n - - lmtp
		anvil     unix - - n - 1 anvil
		scache    unix - - n - 1 scache
		postlog   unix-dgram n - n - 1 postlogd
	EOF
}

# ---------------------------------------------------------------- start / wait
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

dovecot_running() {
	[ -s "$DIR/dovecot/run/master.pid" ] && kill -0 "$(cat "$DIR/dovecot/run/master.pid")" 2>/dev/null
}

postfix_running() {
	[ -s "$DIR/postfix-queue/pid/master.pid" ] && kill -0 "$(tr -d ' ' <"$DIR/postfix-queue/pid/master.pid")" 2>/dev/null
}

print_logs() {
	for f in "$DIR/dovecot.log" "$DIR/postfix.log" "$DIR/dovecot-start.log" "$DIR/postfix-start.log"; do
		[ -s "$f" ] || continue
		log "---- $f (last 40 lines)"
		tail -n 40 "$f" >&2
	done
}

start_daemons() {
	# A port held by something else would pass wait_ports and hide a
	# daemon that failed to bind: refuse early.
	if ! dovecot_running && ! postfix_running; then
		local p
		for p in $ALL_PORTS; do
			port_open "$p" && die "port $HOST:$p is already in use by another program"
		done
	fi
	# Already running (a second `up`): pick up the rewritten configuration.
	if dovecot_running; then
		doveadm -c "$DIR/dovecot/dovecot.conf" reload >/dev/null 2>&1 || log "warning: dovecot reload failed"
	else
		dovecot -c "$DIR/dovecot/dovecot.conf" >"$DIR/dovecot-start.log" 2>&1 ||
			{ print_logs; die "dovecot failed to start"; }
	fi
	if postfix_running; then
		postfix -c "$DIR/postfix" reload >/dev/null 2>&1 || log "warning: postfix reload failed"
	else
		# `start` also runs `postfix check` and creates the queue folders.
		postfix -c "$DIR/postfix" start >"$DIR/postfix-start.log" 2>&1 ||
			{ print_logs; die "postfix failed to start"; }
	fi
}

wait_ports() {
	local deadline=$((SECONDS + WAIT_SECONDS)) p pending
	while :; do
		pending=""
		for p in $ALL_PORTS; do port_open "$p" || pending="$pending $p"; done
		[ -z "$pending" ] && return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			print_logs
			die "ports not accepting connections after ${WAIT_SECONDS}s:$pending"
		fi
		sleep 0.2
	done
}

cmd_up() {
	local t0=$SECONDS
	[ "$(id -u)" -eq 0 ] || die "up must run as root (it installs packages and starts Dovecot and Postfix)"
	case "$DIR" in
	/*) ;;
	*) die "MAILSTACK_DIR must be an absolute path: '$DIR'" ;;
	esac
	case "$DIR" in
	*[[:space:]]*) die "MAILSTACK_DIR must not contain spaces: '$DIR'" ;;
	esac
	install_packages
	mkdir -p "$DIR"
	chmod 0755 "$DIR"
	make_certs
	write_dovecot
	write_postfix
	start_daemons
	wait_ports
	log "up in $((SECONDS - t0))s (state: $DIR)"
}

cmd_down() {
	if postfix_running; then
		postfix -c "$DIR/postfix" stop >/dev/null 2>&1 || true
	fi
	if dovecot_running; then
		local pid
		pid=$(cat "$DIR/dovecot/run/master.pid")
		doveadm -c "$DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
	fi
	# Postfix's master exits a moment after `stop` returns.
	for _ in $(seq 50); do postfix_running || break; sleep 0.1; done
	case "$DIR" in
	/ | "") die "refusing to remove '$DIR'" ;;
	esac
	rm -rf "$DIR"
	log "down"
}

SMTP_PORTS="$PORT_SUBMISSION $PORT_SMTPS"

cmd_stop_postfix() {
	[ -d "$DIR/postfix" ] || die "no stack in $DIR: run up first"
	if postfix_running; then
		postfix -c "$DIR/postfix" stop >/dev/null 2>&1 || die "postfix stop failed"
	fi
	local deadline=$((SECONDS + WAIT_SECONDS)) p open
	while :; do
		open=""
		postfix_running && open=" master"
		for p in $SMTP_PORTS; do port_open "$p" && open="$open $p"; done
		[ -z "$open" ] && break
		[ "$SECONDS" -ge "$deadline" ] && die "postfix still running after ${WAIT_SECONDS}s:$open"
		sleep 0.1
	done
	log "postfix stopped"
}

cmd_start_postfix() {
	[ -d "$DIR/postfix" ] || die "no stack in $DIR: run up first"
	if ! postfix_running; then
		postfix -c "$DIR/postfix" start >"$DIR/postfix-start.log" 2>&1 ||
			{ print_logs; die "postfix failed to start"; }
	fi
	local deadline=$((SECONDS + WAIT_SECONDS)) p pending
	while :; do
		pending=""
		for p in $SMTP_PORTS; do port_open "$p" || pending="$pending $p"; done
		[ -z "$pending" ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			print_logs
			die "SMTP ports not accepting connections after ${WAIT_SECONDS}s:$pending"
		fi
		sleep 0.1
	done
	log "postfix started"
}

cmd_env() {
	cat <<-EOF
		export MAILSTACK_DIR=$DIR
		export MAILSTACK_CA=$DIR/ca.pem
		export MAILSTACK_IMAP=$HOST:$PORT_IMAPS
		export MAILSTACK_IMAP_STARTTLS=$HOST:$PORT_IMAP_STARTTLS
		export MAILSTACK_POP3=$HOST:$PORT_POP3S
		export MAILSTACK_POP3_STLS=$HOST:$PORT_POP3_STLS
		export MAILSTACK_SMTP=$HOST:$PORT_SUBMISSION
		export MAILSTACK_SMTPS=$HOST:$PORT_SMTPS
	EOF
}

# ---------------------------------------------------------------- bench users
check_user() {
	case "$1" in
	[a-z0-9]*@example.test) ;;
	*) die "user must look like name@example.test: '$1'" ;;
	esac
	case "$1" in
	*[!a-z0-9@.-]*) die "user may contain only a-z, 0-9, '-', '.' and '@': '$1'" ;;
	esac
	[ -f "$DIR/dovecot/users" ] || die "no stack in $DIR: run up first"
}

cmd_add_user() {
	local user="${1:-}" pass="${2:-}"
	[ -n "$user" ] && [ -n "$pass" ] || die "usage: add-user NAME@example.test PASSWORD"
	check_user "$user"
	case "$pass" in
	*[!A-Za-z0-9._-]*) die "password may contain only A-Z, a-z, 0-9, '.', '_' and '-'" ;;
	esac
	local users="$DIR/dovecot/users" line="$user:{PLAIN}$pass::::::"
	if ! grep -qxF "$line" "$users"; then
		# Dovecot rereads the passwd-file when it changes.
		awk -F: -v u="$user" '$1 != u' "$users" >"$users.new"
		printf '%s\n' "$line" >>"$users.new"
		chmod 0640 "$users.new"
		chgrp dovecot "$users.new"
		mv "$users.new" "$users"
	fi
	printf '%s\n' "$DIR/mail/example.test/${user%@*}/Maildir"
}

cmd_index() {
	local user="${1:-}"
	[ -n "$user" ] || die "usage: index NAME@example.test"
	check_user "$user"
	local home="$DIR/mail/example.test/${user%@*}"
	[ -d "$home/Maildir" ] || die "no Maildir for $user: run add-user and write it first"
	chown -R dovecot:dovecot "$home"
	# The domain folder too: a seeder running as root may have made it
	# (0700, root's), and Dovecot then cannot reach any user below it.
	chown dovecot:dovecot "$(dirname "$home")"
	local conf="$DIR/dovecot/dovecot.conf"
	doveadm -c "$conf" force-resync -u "$user" '*' || die "doveadm force-resync failed for $user"
	doveadm -c "$conf" index -u "$user" INBOX || die "doveadm index failed for $user"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
stop-postfix) cmd_stop_postfix ;;
start-postfix) cmd_start_postfix ;;
add-user) cmd_add_user "${2:-}" "${3:-}" ;;
index) cmd_index "${2:-}" ;;
*)
	echo "usage: $0 up|down|env|stop-postfix|start-postfix|add-user USER PASSWORD|index USER" >&2
	exit 2
	;;
esac
