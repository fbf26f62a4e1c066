#!/usr/bin/env bash
# Throwaway Dovecot (IMAP + LMTP) and Postfix (submission) on 127.0.0.1 for tests.
#
#   mailserver.sh start DIR                     start in DIR (fresh, empty dir); prints the env lines
#   mailserver.sh adduser DIR ADDRESS PASSWORD  add a login (full address) for IMAP and SMTP AUTH
#   mailserver.sh stop DIR                      stop the servers started in DIR (by their pid files)
#   mailserver.sh smtp-stop DIR                 stop only Postfix (IMAP goes on), e.g. to test an outbox
#   mailserver.sh smtp-start DIR                start Postfix again on the same ports
#   mailserver.sh foreground                    start in a temp dir with alice@/bob@rapport.test
#                                               (password rapport-test), run until Ctrl-C
#
# Everything (configs, certificates, queues, logs, pid files, mail) lives in DIR; the system
# configuration in /etc/dovecot and /etc/postfix is never read or written, and nothing is
# chrooted or sent to syslog. Ports are picked at random among free high ports, so any number
# of instances can run at once. DIR/env holds shell-sourceable lines:
#   IMAP_HOST IMAP_STARTTLS_PORT IMAP_TLS_PORT SMTP_HOST SMTP_STARTTLS_PORT SMTP_TLS_PORT CA_FILE
#   (plus LMTP_PORT MAIL_ROOT MAIL_UID MAIL_GID DOVECOT_CONF POSTFIX_CONF_DIR DOVECOT_LOG POSTFIX_LOG)
#
# OAuth2: with OAUTH_INTROSPECTION_URL set at start (an RFC 7662 endpoint on loopback), IMAP and
# submission also accept XOAUTH2 and OAUTHBEARER, each access token checked at that URL
# (the answer must be {"active": true, "username": "<login>"}); passwords keep working.
#
# Mail routing: every recipient in rapport.test, example.com and acme.test is delivered over
# LMTP to the Dovecot mailbox of that full address (created on first delivery, even before
# `adduser`); any other recipient is rewritten to sink@rapport.test.
#
# Users and ownership: Dovecot refuses to run mail processes as root. As root (CI) the mail
# processes run as nobody:nogroup (exists on every Debian system; no useradd, no system
# change) and each user's home and Maildir under DIR/mail are owned by it; DIR itself is made
# traversable (0711), and so is a temp-dir parent of ours (DIR=$(mktemp -d)/mail), so that
# nobody, dovecot and postfix can reach their files. As a non-root
# user Dovecot runs entirely as that user, and Postfix (which must be started by root) is run
# through `sudo -n`.
set -euo pipefail

readonly TEST_DOMAINS=(rapport.test example.com acme.test)
readonly SINK=sink@rapport.test
readonly START_TIMEOUT_S=10

die() {
	printf 'mailserver.sh: %s\n' "$*" >&2
	exit 1
}

usage() {
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Runs a command as root: directly when we are root, else through sudo -n (Postfix only).
as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	else
		# Postfix's master must start as root; a developer without root needs passwordless sudo.
		sudo -n "$@"
	fi
}

abspath() {
	(cd "$1" && pwd -P)
}

# Prints N distinct random TCP ports in 20000-59999 that nothing listens on right now.
pick_ports() {
	local n=$1 used port picked=()
	used=" $(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }') "
	while ((${#picked[@]} < n)); do
		port=$((20000 + SRANDOM % 40000))
		[[ $used == *" $port "* ]] && continue
		[[ " ${picked[*]} " == *" $port "* ]] && continue
		picked+=("$port")
	done
	echo "${picked[@]}"
}

# Every ancestor of DIR must be searchable by others: the mail uid, dovecot and postfix
# daemons all need to walk into DIR. A temp dir of ours on the way (e.g. DIR=$(mktemp -d)/mail)
# gets o+x (search only, no listing); anything else that blocks the way is an error.
check_traversable() {
	local d=$1 mode tmp
	tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
	while [[ $d != / ]]; do
		d=$(dirname "$d")
		mode=$(stat -c %A "$d")
		[[ ${mode:9:1} == [xt] ]] && continue
		if [[ -O $d && ($d == "$tmp"/* || $d == /tmp/*) ]]; then
			chmod o+x "$d"
		else
			die "$d is not searchable by other users (mode $mode); use a DIR under /tmp"
		fi
	done
}

write_certs() {
	local tls=$1
	mkdir -p "$tls"
	# A private CA, and a server certificate for localhost and 127.0.0.1 that rustls/webpki
	# accept: v3, SANs, serverAuth EKU, CA:FALSE, signed by a CA with CA:TRUE + keyCertSign.
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tls/ca.key" -out "$tls/ca.pem" -days 3650 -sha256 \
		-subj "/O=Rapport tests/CN=Rapport Test CA $(basename "$DIR")" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tls/server.key" -out "$tls/server.csr" -subj "/O=Rapport tests/CN=localhost" 2>/dev/null
	cat >"$tls/server.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = DNS:localhost,IP:127.0.0.1
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
		-set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 \
		-extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
	# The chain file holds the server certificate followed by the CA.
	cat "$tls/server.pem" "$tls/ca.pem" >"$tls/server-chain.pem"
	chmod 0600 "$tls/ca.key" "$tls/server.key"
	chmod 0644 "$tls/ca.pem" "$tls/server.pem" "$tls/server-chain.pem"
	rm -f "$tls/server.csr"
}

write_dovecot_conf() {
	local conf=$1 internal_user login_user dh_line=''
	if [[ $EUID -eq 0 ]]; then
		internal_user=dovecot
		login_user=dovenull
	else
		internal_user=$(id -un)
		login_user=$internal_user
	fi
	[[ -r /usr/share/dovecot/dh.pem ]] && dh_line='ssl_dh = </usr/share/dovecot/dh.pem'
	cat >"$conf" <<-EOF
		# Generated by mailserver.sh: a self-contained Dovecot for tests.
		instance_name = rapport-$INSTANCE
		base_dir = $DIR/dovecot/run
		state_dir = $DIR/dovecot/state
		log_path = $DIR/log/dovecot.log
		info_log_path = $DIR/log/dovecot.log
		protocols = imap lmtp
		listen = 127.0.0.1
		hostname = mail.rapport.test
		postmaster_address = postmaster@rapport.test
		login_greeting = Rapport test IMAP ready.
		default_internal_user = $internal_user
		default_login_user = $login_user
		first_valid_uid = $MAIL_UID
		last_valid_uid = 0
		first_valid_gid = $MAIL_GID
		last_valid_gid = 0

		ssl = yes
		ssl_cert = <$DIR/tls/server-chain.pem
		ssl_key = <$DIR/tls/server.key
		ssl_min_protocol = TLSv1.2
		$dh_line

		# Tests log in many times, also with wrong passwords: no delays, no penalties. (Dovecot
		# 2.3 still answers a failed login on its next 0.5 s tick, but never later.)
		auth_failure_delay = 0
		auth_mechanisms = plain login${OAUTH_INTROSPECTION_URL:+ xoauth2 oauthbearer}
		auth_verbose = yes
		mail_max_userip_connections = 200

		mail_location = maildir:~/Maildir
		mail_fsync = never
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%Lu $DIR/dovecot/passwd
		  ${OAUTH_INTROSPECTION_URL:+mechanisms = plain login}
		}
		$(oauth_passdb)
		userdb {
		  driver = passwd-file
		  args = username_format=%Lu $DIR/dovecot/passwd
		}
		# Any other address (LMTP delivery to a test domain) gets a mailbox of its own.
		userdb {
		  driver = static
		  args = uid=$MAIL_UID gid=$MAIL_GID home=$DIR/mail/%Lu allow_all_users=yes
		}

		namespace inbox {
		  inbox = yes
		  separator = /
		  mailbox INBOX {
		    auto = subscribe
		  }
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
		  mailbox Junk {
		    special_use = \\Junk
		    auto = subscribe
		  }
		  mailbox Archive {
		    special_use = \\Archive
		    auto = subscribe
		  }
		}

		# IDLE, CONDSTORE and QRESYNC are built into Dovecot 2.3's imap (no plugin needed).
		# IMAP_CAPABILITY replaces the advertised list, to test clients against older servers.
		protocol imap {
		  imap_idle_notify_interval = 1 mins
		  ${IMAP_CAPABILITY:+imap_capability = $IMAP_CAPABILITY}
		}
		protocol lmtp {
		  lmtp_save_to_detail_mailbox = no
		}
		recipient_delimiter =

		service imap-login {
		  chroot =
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $IMAP_STARTTLS_PORT
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = $IMAP_TLS_PORT
		    ssl = yes
		  }
		}
		service lmtp {
		  inet_listener lmtp {
		    address = 127.0.0.1
		    port = $LMTP_PORT
		  }
		}
		# Postfix's SASL client (smtpd_sasl_type = dovecot) talks to this listener.
		service auth {
		  inet_listener sasl {
		    address = 127.0.0.1
		    port = $AUTH_PORT
		  }
		}
		service anvil {
		  chroot =
		  # Disables the per-IP authentication penalty.
		  unix_listener anvil-auth-penalty {
		    mode = 0
		  }
		}
		service stats {
		  unix_listener stats-writer {
		    mode = 0666
		  }
		}
	EOF
}

# The oauth2 passdb block (and its settings file) when OAUTH_INTROSPECTION_URL is set.
oauth_passdb() {
	[[ -n ${OAUTH_INTROSPECTION_URL:-} ]] || return 0
	cat >"$DIR/dovecot/oauth2.conf.ext" <<-EOF
		introspection_mode = post
		introspection_url = $OAUTH_INTROSPECTION_URL
		force_introspection = yes
		username_attribute = username
		active_attribute = active
		active_value = true
	EOF
	printf 'passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s\n}\n' \
		"$DIR/dovecot/oauth2.conf.ext"
}

write_postfix_conf() {
	local pf=$1 domains_re
	domains_re=$(printf '%s|' "${TEST_DOMAINS[@]}")
	domains_re=${domains_re%|}
	domains_re=${domains_re//./\\.}
	cat >"$pf/conf/main.cf" <<-EOF
		# Generated by mailserver.sh: a self-contained Postfix submission server for tests.
		compatibility_level = 3.6
		config_directory = $pf/conf
		queue_directory = $DIR/postfix/queue
		data_directory = $DIR/postfix/data
		multi_instance_name = rapport-$INSTANCE
		syslog_name = rapport-$INSTANCE
		maillog_file = $DIR/log/postfix.log
		maillog_file_prefixes = $DIR/log
		mail_owner = postfix
		setgid_group = postdrop

		myhostname = mail.rapport.test
		mydomain = rapport.test
		myorigin = rapport.test
		mydestination =
		local_recipient_maps =
		local_transport = error:local delivery is disabled
		alias_maps =
		alias_database =
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		relayhost =
		biff = no
		append_dot_mydomain = no
		smtpd_banner = \$myhostname ESMTP Rapport test
		smtputf8_enable = yes
		message_size_limit = 52428800
		mailbox_size_limit = 0

		# The test domains go to Dovecot over LMTP; everything else is rewritten to $SINK.
		virtual_mailbox_domains = ${TEST_DOMAINS[*]}
		virtual_mailbox_maps =
		virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
		virtual_alias_domains =
		virtual_alias_maps = regexp:$pf/conf/virtual_alias.regexp
		smtpd_reject_unlisted_recipient = no
		smtpd_reject_unlisted_sender = no

		# Submission only: authenticated clients may send anywhere, nobody else anything.
		smtpd_relay_restrictions = permit_sasl_authenticated, reject
		smtpd_recipient_restrictions = permit_sasl_authenticated, reject
		smtpd_tls_cert_file = $DIR/tls/server-chain.pem
		smtpd_tls_key_file = $DIR/tls/server.key
		smtpd_tls_security_level = may
		smtpd_tls_auth_only = yes
		smtpd_tls_mandatory_protocols = >=TLSv1.2
		smtpd_tls_protocols = >=TLSv1.2
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = inet:127.0.0.1:$AUTH_PORT
		smtpd_sasl_security_options = noanonymous
		smtpd_sasl_tls_security_options = noanonymous
		smtpd_peername_lookup = no

		# Fast and forgiving for tests: no sleeping after errors, quick retries.
		smtpd_error_sleep_time = 0s
		smtpd_soft_error_limit = 1000
		smtpd_hard_error_limit = 1000
		in_flow_delay = 0s
		queue_run_delay = 1s
		minimal_backoff_time = 1s
		maximal_backoff_time = 2s
		delay_warning_time = 0h
		lmtp_connect_timeout = 5s
	EOF
	cat >"$pf/conf/virtual_alias.regexp" <<-EOF
		!/@($domains_re)\$/ $SINK
	EOF
	local svc_opts='  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject'
	cat >"$pf/conf/master.cf" <<-EOF
		# service type  private unpriv  chroot  wakeup  maxproc command + args
		127.0.0.1:$SMTP_TLS_PORT inet n - n - - smtpd
		  -o syslog_name=rapport-$INSTANCE/submissions
		  -o smtpd_tls_wrappermode=yes
		$svc_opts
		127.0.0.1:$SMTP_STARTTLS_PORT inet n - n - - smtpd
		  -o syslog_name=rapport-$INSTANCE/submission
		  -o smtpd_tls_security_level=encrypt
		$svc_opts
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		lmtp      unix  -       -       n       -       -       lmtp
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

write_env() {
	cat >"$DIR/env" <<-EOF
		IMAP_HOST=127.0.0.1
		IMAP_STARTTLS_PORT=$IMAP_STARTTLS_PORT
		IMAP_TLS_PORT=$IMAP_TLS_PORT
		SMTP_HOST=127.0.0.1
		SMTP_STARTTLS_PORT=$SMTP_STARTTLS_PORT
		SMTP_TLS_PORT=$SMTP_TLS_PORT
		CA_FILE=$DIR/tls/ca.pem
		LMTP_PORT=$LMTP_PORT
		MAIL_ROOT=$DIR/mail
		MAIL_UID=$MAIL_UID
		MAIL_GID=$MAIL_GID
		DOVECOT_CONF=$DIR/dovecot/dovecot.conf
		POSTFIX_CONF_DIR=$DIR/postfix/conf
		DOVECOT_LOG=$DIR/log/dovecot.log
		POSTFIX_LOG=$DIR/log/postfix.log
	EOF
}

log_tail() {
	local f
	for f in "$DIR/log/dovecot.log" "$DIR/log/postfix.log" "$DIR/log/start.log"; do
		[[ -s $f ]] || continue
		printf -- '--- tail of %s ---\n' "$f" >&2
		tail -n 25 "$f" >&2
	done
}

# Prints the pid in FILE if that process is alive and its command line or working directory
# shows it belongs to this DIR (guards against a recycled pid).
owned_pid() {
	local file=$1 pid cmd cwd
	[[ -r $file ]] || return 1
	pid=$(tr -dc '0-9' <"$file")
	[[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
	cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
	[[ $cmd == *"$DIR/"* || $cwd == "$DIR/"* ]] || return 1
	echo "$pid"
}

# Live (non-zombie) members of the session led by PID. The servers daemonize with setsid, so
# their session holds exactly the processes they started.
session_alive() {
	# shellcheck disable=SC2009  # pgrep cannot leave out zombies
	ps -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

# Sends SIGTERM to the session/process group of PID and waits up to 3 s for all its members to
# exit, then SIGKILLs what is left.
terminate() {
	local pid=$1 i sig
	for sig in TERM KILL; do
		as_root kill "-$sig" -- "-$pid" 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do
			session_alive "$pid" || return 0
			sleep 0.05
		done
	done
}

stop_servers() {
	local pid
	if pid=$(owned_pid "$DIR/postfix/queue/pid/master.pid"); then terminate "$pid"; fi
	if pid=$(owned_pid "$DIR/dovecot/run/master.pid"); then terminate "$pid"; fi
	return 0
}

# True when every port in $@ has a listening socket on 127.0.0.1.
ports_listening() {
	local listening port
	listening=" $(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }') "
	for port in "$@"; do
		[[ $listening == *" $port "* ]] || return 1
	done
}

# Creates Postfix's queue and data directories with the ownership `postfix check` would give
# them, and a quick-start marker so that `postfix start` skips its slow integrity checks.
make_postfix_dirs() {
	local q="$DIR/postfix/queue" d
	as_root chown root:root "$q"
	as_root chmod 0755 "$q"
	for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		as_root install -d -o postfix -g root -m 0700 "$q/$d"
	done
	as_root install -d -o postfix -g postdrop -m 0730 "$q/maildrop"
	as_root install -d -o postfix -g postdrop -m 0710 "$q/public"
	as_root install -d -o root -g root -m 0755 "$q/pid"
	as_root install -d -o postfix -g root -m 0700 "$DIR/postfix/data"
}

# One attempt at starting both servers on freshly picked ports. Returns 1 (servers stopped)
# when something failed, e.g. because another process grabbed one of the ports meanwhile.
try_start() {
	read -r IMAP_STARTTLS_PORT IMAP_TLS_PORT SMTP_STARTTLS_PORT SMTP_TLS_PORT LMTP_PORT AUTH_PORT \
		<<<"$(pick_ports 6)"
	write_dovecot_conf "$DIR/dovecot/dovecot.conf"
	write_postfix_conf "$DIR/postfix"
	: >"$DIR/log/start.log"

	if ! dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >>"$DIR/log/start.log" 2>&1; then
		echo "dovecot failed to start" >>"$DIR/log/start.log"
		stop_servers
		return 1
	fi
	# Postfix waits for a config file written less than 2 s ago to "cool down": backdate them.
	touch -d '-1 minute' "$DIR/postfix/conf/main.cf" "$DIR/postfix/conf/master.cf" \
		"$DIR/postfix/conf/virtual_alias.regexp"
	as_root touch "$DIR/postfix/queue/quick-start"
	if ! as_root postfix -c "$DIR/postfix/conf" start </dev/null >>"$DIR/log/start.log" 2>&1; then
		echo "postfix failed to start" >>"$DIR/log/start.log"
		stop_servers
		return 1
	fi
	local deadline=$((SECONDS + START_TIMEOUT_S))
	until ports_listening "$IMAP_STARTTLS_PORT" "$IMAP_TLS_PORT" "$LMTP_PORT" "$AUTH_PORT" \
		"$SMTP_TLS_PORT" "$SMTP_STARTTLS_PORT"; do
		if ((SECONDS >= deadline)); then
			echo "the servers did not listen on all ports within ${START_TIMEOUT_S}s" >>"$DIR/log/start.log"
			stop_servers
			return 1
		fi
		sleep 0.05
	done
	return 0
}

cmd_start() {
	[[ $# -eq 1 ]] || usage
	[[ -d $1 ]] || die "no such directory: $1"
	DIR=$(abspath "$1")
	[[ -e $DIR/env ]] && die "$DIR already holds a mail server (DIR/env exists)"
	command -v dovecot >/dev/null || die "dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
	command -v postfix >/dev/null || die "postfix is not installed (apt-get install postfix)"
	if [[ $EUID -ne 0 ]] && ! sudo -n true 2>/dev/null; then
		die "Postfix must be started by root: run as root, or allow this user passwordless sudo"
	fi
	check_traversable "$DIR"
	INSTANCE=$(basename "$DIR" | tr -c 'A-Za-z0-9\n' '-')-$(openssl rand -hex 3)
	if [[ $EUID -eq 0 ]]; then
		MAIL_UID=$(id -u nobody)
		MAIL_GID=$(getent group nogroup | cut -d: -f3)
	else
		MAIL_UID=$(id -u)
		MAIL_GID=$(id -g)
	fi

	chmod 0711 "$DIR"
	mkdir -p "$DIR/dovecot/run" "$DIR/dovecot/state" "$DIR/log" "$DIR/mail" \
		"$DIR/postfix/conf" "$DIR/postfix/queue" "$DIR/postfix/data"
	chmod 0755 "$DIR/dovecot" "$DIR/postfix"
	chmod 0711 "$DIR/mail" "$DIR/log"
	# Dovecot creates the homes of addresses that get mail before `adduser` (as the mail uid).
	if [[ $EUID -eq 0 ]]; then chown "$MAIL_UID:$MAIL_GID" "$DIR/mail"; fi
	: >"$DIR/dovecot/passwd"
	chmod 0644 "$DIR/dovecot/passwd"
	make_postfix_dirs
	write_certs "$DIR/tls"

	local attempt
	for attempt in 1 2 3; do
		if try_start; then
			write_env
			cat "$DIR/env"
			return 0
		fi
		[[ $attempt -lt 3 ]] && echo "mailserver.sh: start attempt $attempt failed, retrying on other ports" >&2
	done
	log_tail
	die "could not start the mail servers in $DIR (logs in $DIR/log)"
}

cmd_adduser() {
	[[ $# -eq 3 ]] || usage
	DIR=$(abspath "$1")
	local address=${2,,} password=$3
	[[ -r $DIR/env ]] || die "$DIR holds no running mail server (no DIR/env)"
	[[ $address =~ ^[^@:/[:space:]]+@[^@:/[:space:]]+$ ]] || die "not a plain address: $address"
	[[ $password != *[:$'\n\r']* && -n $password ]] ||
		die "password must be non-empty without ':' or line breaks"
	# shellcheck source=/dev/null
	. "$DIR/env"
	local home="$MAIL_ROOT/$address" passwd="$DIR/dovecot/passwd"
	mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	chmod 0700 "$home" "$home/Maildir"
	if [[ $EUID -eq 0 ]]; then chown -R "$MAIL_UID:$MAIL_GID" "$home"; fi
	(
		flock 9
		grep -v "^$address:" "$passwd" >"$passwd.new" || true
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$address" "$password" "$MAIL_UID" "$MAIL_GID" "$home" >>"$passwd.new"
		chmod 0644 "$passwd.new"
		mv -f "$passwd.new" "$passwd"
	) 9>"$DIR/dovecot/passwd.lock"
	# Dovecot looks at a passwd-file at most once per second: a login in the same second
	# as an earlier lookup is answered from the table read before this user existed
	# (seen in CI as a wrong-password failure). Return only once the clock has moved on.
	local second=$EPOCHSECONDS
	while ((EPOCHSECONDS == second)); do sleep 0.05; done
}

cmd_stop() {
	[[ $# -eq 1 ]] || usage
	[[ -d $1 ]] || return 0
	DIR=$(abspath "$1")
	stop_servers
}

cmd_smtp_stop() {
	[[ $# -eq 1 ]] || usage
	DIR=$(abspath "$1")
	local pid
	if pid=$(owned_pid "$DIR/postfix/queue/pid/master.pid"); then terminate "$pid"; fi
	return 0
}

cmd_smtp_start() {
	[[ $# -eq 1 ]] || usage
	DIR=$(abspath "$1")
	[[ -r $DIR/env ]] || die "$DIR holds no mail server (no DIR/env)"
	# shellcheck source=/dev/null
	. "$DIR/env"
	owned_pid "$DIR/postfix/queue/pid/master.pid" >/dev/null && return 0
	as_root touch "$DIR/postfix/queue/quick-start"
	as_root postfix -c "$DIR/postfix/conf" start </dev/null >>"$DIR/log/start.log" 2>&1 ||
		die "postfix failed to start again (logs in $DIR/log)"
	local deadline=$((SECONDS + START_TIMEOUT_S))
	until ports_listening "$SMTP_TLS_PORT" "$SMTP_STARTTLS_PORT"; do
		((SECONDS < deadline)) || die "postfix did not listen again within ${START_TIMEOUT_S}s"
		sleep 0.05
	done
}

cmd_foreground() {
	[[ $# -eq 0 ]] || usage
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/rapport-mail.XXXXXX")
	SLEEPER=
	# shellcheck disable=SC2064  # expand $dir now
	trap "[[ -z \$SLEEPER ]] || kill \$SLEEPER 2>/dev/null; '$0' stop '$dir'; rm -rf '$dir'" EXIT
	trap 'exit 0' INT TERM
	"$0" start "$dir" >/dev/null
	local user
	for user in alice@rapport.test bob@rapport.test; do
		"$0" adduser "$dir" "$user" rapport-test
	done
	# shellcheck source=/dev/null
	. "$dir/env"
	cat <<-EOF
		Rapport test mail server running in $dir
		  IMAP   $IMAP_HOST:$IMAP_TLS_PORT (TLS)   $IMAP_HOST:$IMAP_STARTTLS_PORT (STARTTLS)
		  SMTP   $SMTP_HOST:$SMTP_TLS_PORT (TLS)   $SMTP_HOST:$SMTP_STARTTLS_PORT (STARTTLS)
		  CA     $CA_FILE
		  users  alice@rapport.test, bob@rapport.test  (password: rapport-test)
		  mail to rapport.test / example.com / acme.test is delivered locally, anything else to $SINK
		  env    $dir/env   (e.g. openssl s_client -connect 127.0.0.1:$IMAP_TLS_PORT -CAfile $CA_FILE -quiet)
		  add a user:  $0 adduser $dir ADDRESS PASSWORD
		Press Ctrl-C to stop.
	EOF
	sleep infinity &
	SLEEPER=$!
	wait "$SLEEPER" || true
}

main() {
	[[ $# -ge 1 ]] || usage
	local cmd=$1
	shift
	case $cmd in
	start) cmd_start "$@" ;;
	adduser) cmd_adduser "$@" ;;
	stop) cmd_stop "$@" ;;
	smtp-stop) cmd_smtp_stop "$@" ;;
	smtp-start) cmd_smtp_start "$@" ;;
	foreground) cmd_foreground "$@" ;;
	*) usage ;;
	esac
}

main "$@"
