# Shared by scripts/up and scripts/test: a virtualenv with the project installed, and local services.

# The uv release that installs the project from uv.lock (`scripts/lock` regenerates the lock with it).
UV_VERSION=0.13.10

python_bin() {
  # python3 first: it is the interpreter the machine's user chose (a pyenv shim of a version that is not
  # selected exits 127 with a message, which says only "not this one").
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Referral Pipeline needs Python 3.11 or newer" >&2; return 1
}

ensure_uv() {
  if [ ! -x .venv/bin/python ]; then
    "$(python_bin)" -m venv .venv || { apt_install python3-venv && "$(python_bin)" -m venv .venv; }
  fi
  if [ "$(.venv/bin/uv --version 2>/dev/null)" != "uv $UV_VERSION" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
}

ensure_venv() {
  # The versions in uv.lock, exactly (--locked: refuse a lock that no longer matches pyproject.toml). uv
  # rebuilds the project's editable install only when pyproject.toml changed, so a start installs nothing.
  local extras="${1:-}" extra_args=()
  ensure_uv
  [ "$extras" = "[test]" ] && extra_args=(--extra test)
  .venv/bin/uv sync --locked --inexact --quiet --no-progress --python .venv/bin/python "${extra_args[@]}" \
    || { echo "uv.lock does not match pyproject.toml: run scripts/lock" >&2; return 1; }
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "Please install: $*" >&2; return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then return 0; fi
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-client
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  if [ ! -f "/etc/postgresql/$version/main/pg_hba.conf.trust-set" ]; then
    # local test server: trust connections from this machine only
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+all\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "/etc/postgresql/$version/main/pg_hba.conf"
    touch "/etc/postgresql/$version/main/pg_hba.conf.trust-set"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
}

ensure_chromium() {
  # The /docs test drives Debian's Chromium through Playwright (Playwright's own browser download is not a
  # package registry); without it that one test is skipped, saying why.
  command -v chromium >/dev/null 2>&1 || apt_install chromium \
    || echo "Chromium could not be installed: the /docs browser test will be skipped" >&2
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
}
