# Courier IMAP and courier-pop: sourced by scripts/mailstack-more.sh.
# Debian's courier-imap/-pop/-base are unpacked, not installed (installing
# them would remove Dovecot); courier-authlib (authdaemond, userdb) is a
# plain library install. Everything runs in one private mount namespace
# where /etc/courier and /run/courier are bind mounts of folders under
# $DIR/courier (authdaemond's socket and userdb.dat are compiled-in
# paths). Users live in a userdb; their Maildirs belong to nobody.

courier_running() { pid_alive "$DIR/courier/ns.pid" && pid_alive "$DIR/courier/run/imap.pid"; }

up_courier() {
	with_apt_lock apt_libs courier-authlib courier-authlib-userdb libcourier-unicode4 libgamin0 libidn12 ||
		skip courier "cannot install Courier's libraries (see $APTLOG)" || return 1
	with_apt_lock unpack courier-base courier-imap courier-pop ||
		skip courier "cannot download Debian's courier packages (see $APTLOG)" || return 1
	local lib="$ROOT/usr/lib/courier/courier" miss
	local authdaemond=/usr/lib/courier/courier-authlib/authdaemond
	[ -x "$authdaemond" ] && command -v userdb >/dev/null && command -v makeuserdb >/dev/null ||
		skip courier "courier-authlib's authdaemond or userdb is missing" || return 1
	miss=$(missing_libs "$ROOT/usr/bin/imapd" "$ROOT/usr/bin/couriertls" "$ROOT/usr/sbin/couriertcpd" \
		"$lib/imaplogin" "$lib/courierpop3login" "$lib/courierpop3d" "$authdaemond")
	[ -z "$miss" ] || skip courier "Courier lacks libraries: $miss" || return 1
	local d="$DIR/courier" u name
	mkdir -p "$d/etc" "$d/run/authdaemon" "$d/home"
	chmod 0750 "$d/run/authdaemon"
	# imaplogin drops privileges before it runs couriertls for STARTTLS:
	# the (test-only) key must be readable by that user.
	install -m 0644 "$DIR/server-combined.pem" "$d/etc/server.pem"
	cat >"$d/etc/authdaemonrc" <<-CONF
		authmodulelist="authuserdb"
		authmodulelistorig="authuserdb"
		daemons=3
		authdaemonvar=/run/courier/authdaemon
		DEBUG_LOGIN=0
		DEFAULTOPTIONS=""
		LOGGEROPTS=""
	CONF
	rm -f "$d/etc/userdb" "$d/etc/userdb.dat"
	for u in alice:alicepw bob:bobpw; do
		name=${u%%:*}
		if [ ! -d "$d/home/$name/Maildir" ]; then
			mkdir -p "$d/home/$name"
			"$ROOT/usr/bin/maildirmake.courier" "$d/home/$name/Maildir" || return 1
			for f in Sent Drafts Trash Archive Junk; do
				"$ROOT/usr/bin/maildirmake.courier" -f "$f" "$d/home/$name/Maildir" || return 1
				echo "INBOX.$f" >>"$d/home/$name/Maildir/courierimapsubscribed"
			done
			chown -R nobody:nogroup "$d/home/$name"
		fi
		userdb -f "$d/etc/userdb" "$name@example.test" set uid=65534 gid=65534 \
			home="$d/home/$name" mail="$d/home/$name/Maildir" || return 1
		printf '%s\n%s\n' "${u#*:}" "${u#*:}" | userdbpw -md5 | userdb -f "$d/etc/userdb" "$name@example.test" set systempw ||
			skip courier "userdbpw failed" || return 1
	done
	chmod 0600 "$d/etc/userdb"
	makeuserdb -f "$d/etc/userdb" || skip courier "makeuserdb failed" || return 1
	mkdir -p /etc/courier /run/courier 2>/dev/null || skip courier "cannot make Courier's mount points" || return 1
	cat >"$d/run.sh" <<-SH
		# The namespace's first process: mounts, starts one couriertcpd per
		# port (each puts itself in the background and writes its PID file),
		# then stays as authdaemond.
		mount --bind "$d/etc" /etc/courier || exit 1
		mount --bind "$d/run" /run/courier || exit 1
		export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib"
		export COURIERTLS="$ROOT/usr/bin/couriertls" TLS_CERTFILE="$d/etc/server.pem"
		export TLS_VERIFYPEER=NONE
		export IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
		export IMAP_CAPABILITY_TLS="\$IMAP_CAPABILITY AUTH=PLAIN" IMAP_KEYWORDS=1 IMAP_ACL=1
		export IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=1 IMAP_USELOCKS=1 IMAP_ENHANCEDIDLE=0 IMAP_IDLE_TIMEOUT=2
		export IMAP_TRASHFOLDERNAME=Trash IMAP_MOVE_EXPUNGE_TO_TRASH=0 IMAP_MAILBOX_SANITY_CHECK=1
		export POP3AUTH="PLAIN LOGIN" POP3AUTH_TLS="PLAIN LOGIN" POP3_STARTTLS=YES POP3_TLS_REQUIRED=1
		export MAXDAEMONS=40 MAXPERIP=40
		tcpd="$ROOT/usr/sbin/couriertcpd -address=$HOST -stderr=$d/courier.log -nodnslookup -noidentlookup -maxprocs=40 -maxperip=40"
		\$tcpd -pid=$d/run/imap.pid $COURIER_IMAP $lib/imaplogin $ROOT/usr/bin/imapd Maildir &
		IMAP_TLS=1 IMAP_TLS_REQUIRED=0 \$tcpd -pid=$d/run/imaps.pid $COURIER_IMAPS $ROOT/usr/bin/couriertls -server -tcpd $lib/imaplogin $ROOT/usr/bin/imapd Maildir &
		\$tcpd -pid=$d/run/pop3.pid $COURIER_POP3 $lib/courierpop3login $lib/courierpop3d Maildir &
		POP3_TLS=1 POP3_TLS_REQUIRED=0 \$tcpd -pid=$d/run/pop3s.pid $COURIER_POP3S $ROOT/usr/bin/couriertls -server -tcpd $lib/courierpop3login $lib/courierpop3d Maildir &
		exec $authdaemond
	SH
	setsid unshare -m --propagation private sh "$d/run.sh" </dev/null >>"$d/courier.log" 2>&1 &
	echo $! >"$d/ns.pid"
	wait_ports courier $COURIER_IMAP $COURIER_IMAPS $COURIER_POP3 $COURIER_POP3S
}

down_courier() {
	local f pid
	for f in "$DIR/courier/run/"*.pid "$DIR/courier/ns.pid"; do
		pid_alive "$f" || continue
		pid=$(tr -d ' \n' <"$f")
		# Each daemon leads its own process group (its login processes).
		kill -- "-$pid" 2>/dev/null || kill "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	return 0
}

env_courier() {
	cat <<-EOF
		export MAILSTACK_COURIER_VERSION=Courier-IMAP-$(dpkg-deb -f "$(ls "$CACHE/debs/courier-imap_"*.deb | head -n 1)" Version 2>/dev/null)
		export MAILSTACK_COURIER_IMAP=$HOST:$COURIER_IMAPS
		export MAILSTACK_COURIER_IMAP_STARTTLS=$HOST:$COURIER_IMAP
		export MAILSTACK_COURIER_POP3=$HOST:$COURIER_POP3S
		export MAILSTACK_COURIER_POP3_STLS=$HOST:$COURIER_POP3
		export MAILSTACK_COURIER_MAILDIR=$DIR/courier/home
	EOF
}
