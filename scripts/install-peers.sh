#!/usr/bin/env bash
# install-peers.sh installs the real peers that the test tiers run against
# (see the design notes, peers.md): Samba 4.2x AD DC from bookworm-backports,
# MIT Kerberos, the OpenLDAP client tools, PostgreSQL (a server that accepts
# gss logins), curl, openssl, faketime and iproute2.
#
# It is idempotent and fast when everything is already there: apt is touched
# only when a package is missing or Samba is too old. The daemons that the
# packages may start are stopped and disabled, because tests run their own
# instances on loopback addresses. Run it as root (make peers); as another
# user it only prints what it would install.
set -euo pipefail

readonly MIN_SAMBA=4.21 # 4.17 from bookworm main never computes msDS-ManagedPassword
readonly BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.sources
readonly DEBIAN_LIST=/etc/apt/sources.list.d/debian.sources

readonly BACKPORTS_PKGS=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules
	winbind python3-samba samba-common-bin ldb-tools smbclient)
readonly MAIN_PKGS=(ldap-utils krb5-user krb5-kdc krb5-admin-server libsasl2-modules-gssapi-mit
	openssl faketime iproute2 curl python3 libgssapi-krb5-2 postgresql)

# Services the packages ship; none may keep running: tests start their own.
readonly SERVICES=(samba-ad-dc samba smbd nmbd winbind krb5-kdc krb5-admin-server postgresql)
# Daemon names that may be left behind by a postinst without systemd.
readonly DAEMONS=(samba smbd nmbd winbindd krb5kdc kadmind postgres)
readonly PORTS=(88 389 464 636 5432)

log() { printf 'install-peers: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# One dpkg-query for all packages: "name status version" lines.
declare -A STATUS VERSION
while read -r name status version; do
	STATUS[$name]=$status
	VERSION[$name]=$version
done < <(dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\n' \
	"${BACKPORTS_PKGS[@]}" "${MAIN_PKGS[@]}" 2>/dev/null || true)

installed() { [[ "${STATUS[$1]:-}" == installed ]]; }   # fully installed
from_backports() { [[ "${VERSION[$1]:-}" == *bpo* ]]; } # a bookworm-backports version

samba_version() { # prints e.g. 4.22.3, or nothing
	local v
	v=$(samba --version 2>/dev/null || /usr/sbin/samba --version 2>/dev/null || true)
	v=${v#Version }
	printf '%s' "${v%%-*}"
}

version_ge() { # version_ge A B: A >= B
	[[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

backports_sources() { # the deb822 stanza of the main archive, renamed to bookworm-backports
	awk -v RS= '/Suites: bookworm bookworm-updates/' "$DEBIAN_LIST" |
		sed 's/^Suites: .*/Suites: bookworm-backports/' | grep -v '^#'
}

missing_pkgs=()
for p in "${BACKPORTS_PKGS[@]}"; do
	if ! installed "$p" || ! from_backports "$p"; then missing_pkgs+=("$p"); fi
done
missing_main=()
for p in "${MAIN_PKGS[@]}"; do
	installed "$p" || missing_main+=("$p")
done

if ((EUID != 0)); then
	if ((${#missing_pkgs[@]} + ${#missing_main[@]} == 0)); then
		log "all peers are installed"
	else
		log "not root: would install from bookworm-backports: ${missing_pkgs[*]:-(none)}"
		log "not root: would install from bookworm: ${missing_main[*]:-(none)}"
		log "tests that need these peers will skip (or fail under GMSA_REQUIRE_PEERS=1)"
	fi
	exit 0
fi

installed_now=0
if ((${#missing_pkgs[@]} + ${#missing_main[@]} > 0)); then
	installed_now=1
	export DEBIAN_FRONTEND=noninteractive
	want=$(backports_sources)
	[[ -n "$want" ]] || die "no 'Suites: bookworm bookworm-updates' stanza in $DEBIAN_LIST"
	if [[ ! -f "$BACKPORTS_LIST" || "$(cat "$BACKPORTS_LIST")" != "$want" ]]; then
		log "enabling bookworm-backports in $BACKPORTS_LIST"
		printf '%s\n' "$want" >"$BACKPORTS_LIST"
	fi
	log "apt-get update"
	apt-get update -qq
	if ((${#missing_pkgs[@]} > 0)); then
		log "installing from bookworm-backports: ${BACKPORTS_PKGS[*]}"
		# All of them, not only the missing ones: Samba's packages pin each other's versions.
		apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS_PKGS[@]}" >/dev/null
	fi
	if ((${#missing_main[@]} > 0)); then
		log "installing from bookworm: ${missing_main[*]}"
		apt-get install -y -qq --no-install-recommends "${missing_main[@]}" >/dev/null
	fi
fi

v=$(samba_version)
[[ -n "$v" ]] || die "samba is not runnable after installation"
version_ge "$v" "$MIN_SAMBA" ||
	die "samba $v is older than $MIN_SAMBA (bookworm main's 4.17 does not compute gMSA passwords); is bookworm-backports reachable?"

# Pid files of the packaged (system) instances, as opposed to test instances.
readonly SYSTEM_PIDFILES=(/run/samba/samba.pid /run/samba/smbd.pid /run/samba/nmbd.pid
	/run/samba/winbindd.pid /run/krb5kdc.pid /run/kadmind.pid)
system_daemon_running() {
	local f
	for f in "${SYSTEM_PIDFILES[@]}"; do [[ -s "$f" ]] && return 0; done
	return 1
}

# Stop and disable the packaged services, right after installing them or
# when one runs. systemctl exists on Debian even where systemd is not PID 1;
# it only works when systemd runs.
if ((installed_now)) || system_daemon_running; then
	if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		for s in "${SERVICES[@]}"; do
			if systemctl list-unit-files "$s.service" 2>/dev/null | grep -q "^$s.service"; then
				systemctl disable --now "$s.service" >/dev/null 2>&1 || true
			fi
		done
	else
		for s in "${SERVICES[@]}"; do
			if [[ -x /etc/init.d/$s ]]; then
				/etc/init.d/"$s" stop >/dev/null 2>&1 || true
				command -v update-rc.d >/dev/null && update-rc.d "$s" disable >/dev/null 2>&1 || true
			fi
		done
	fi
fi

# Daemons a postinst may have started anyway: the system instances write
# these pid files, and anything else of theirs listens on the wildcard or
# 127.0.0.1. Test instances on other 127.0.0.N addresses are left alone.
pids=()
for f in "${SYSTEM_PIDFILES[@]}"; do
	[[ -s "$f" ]] && pids+=("$(tr -dc 0-9 <"$f")")
done
if command -v ss >/dev/null; then
	for port in "${PORTS[@]}"; do
		while read -r pid; do pids+=("$pid"); done < <(
			ss -Htlnup "sport = :$port" 2>/dev/null |
				awk '$5 ~ /^(0\.0\.0\.0|\*|\[::\]|127\.0\.0\.1):/' |
				grep -o 'pid=[0-9]*' | cut -d= -f2
		)
	done
fi
killed=()
for pid in "${pids[@]}"; do
	# Processes may exit while we look: every read is allowed to fail.
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
	if [[ "$comm" == *"["* ]]; then # a samba worker such as "kdc[master]": stop its samba
		pid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -dc 0-9) || continue
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
	fi
	for d in "${DAEMONS[@]}"; do
		if [[ "$comm" == "$d" ]]; then
			kill "$pid" 2>/dev/null && killed+=("$pid")
			break
		fi
	done
done
for pid in "${killed[@]}"; do
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
done
((${#killed[@]} == 0)) || log "stopped packaged daemons: ${killed[*]}"
if command -v ss >/dev/null; then
	for port in "${PORTS[@]}"; do
		busy=$(ss -Htlnu "sport = :$port" 2>/dev/null | awk '$5 ~ /^(0\.0\.0\.0|\*|\[::\]|127\.0\.0\.1):/')
		[[ -z "$busy" ]] || die "port $port on 127.0.0.1 is still in use: $busy"
	done
fi

pkgver() { dpkg-query -W -f='${Version}' "$1"; } # after an install, VERSION is stale
printf '%-24s %s\n' \
	"samba" "$v ($(pkgver samba))" \
	"mit-krb5" "$(pkgver krb5-kdc)" \
	"openldap-clients" "$(pkgver ldap-utils)" \
	"cyrus-sasl-gssapi" "$(pkgver libsasl2-modules-gssapi-mit)" \
	"openssl" "$(openssl version | awk '{print $2}')" \
	"faketime" "$(pkgver faketime)" \
	"iproute2" "$(pkgver iproute2)" \
	"postgresql" "$(pkgver postgresql)"
