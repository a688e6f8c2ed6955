#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for the registry tests.
# Uses STENTGUIDE_TEST_PG_HOST/PORT (default 127.0.0.1:5432). When none answers,
# installs Debian's postgresql (as root), starts a cluster with trust
# authentication on loopback and creates the database `test`.
set -euo pipefail
host=${STENTGUIDE_TEST_PG_HOST:-127.0.0.1}
port=${STENTGUIDE_TEST_PG_PORT:-5432}
answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
answers && exit 0
echo "No PostgreSQL answers on $host:$port; starting one."
if [ "$(id -u)" != 0 ]; then
  echo "Starting PostgreSQL needs root; set STENTGUIDE_TEST_PG_URL to a server instead." >&2
  exit 1
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
ver=$(ls /etc/postgresql | sort -V | tail -1)
conf=/etc/postgresql/$ver/main
sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/; s/^(local\s+all\s+all\s+)\S+/\1trust/' "$conf/pg_hba.conf"
pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster "$ver" main start
for _ in $(seq 1 30); do answers && break; sleep 1; done
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" | grep -q 1 \
  || su postgres -c "createdb test"
answers
