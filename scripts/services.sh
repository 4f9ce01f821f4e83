#!/usr/bin/env bash
# Makes sure the services the tests talk to answer: PostgreSQL and RabbitMQ with its AMQP 1.0 plugin.
# Idempotent and quick when everything already runs. Uses the start commands of this machine kind.
set -u

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if ! pg_ready; then echo "services: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; fi

if command -v rabbitmqctl >/dev/null; then
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "services: starting RabbitMQ"
    rabbitmq-server -detached || true
    for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
    rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  fi
  # The node may run with its application stopped (`rabbitmqctl stop_app`, e.g. an interrupted outage test).
  if ! rabbitmq-diagnostics -q check_running >/dev/null 2>&1; then
    echo "services: starting the RabbitMQ application"
    rabbitmqctl -q start_app >/dev/null 2>&1 || true
    rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  fi
  if ! rabbitmq-plugins -q list -e -m 2>/dev/null | grep -qx rabbitmq_amqp1_0; then
    echo "services: enabling rabbitmq_amqp1_0"
    rabbitmq-plugins -q enable rabbitmq_amqp1_0 >/dev/null || { echo "services: cannot enable rabbitmq_amqp1_0" >&2; exit 1; }
  fi
else
  echo "services: rabbitmqctl not found; tests that need the broker will fail" >&2
fi

# nginx, for the test of deploy/nginx (a Debian package; not a service: the test runs its own instance).
if ! command -v nginx >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "services: installing nginx"
  install_nginx() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null 2>&1; }
  install_nginx || { apt-get update -q >/dev/null 2>&1 && install_nginx; } \
    || echo "services: cannot install nginx; the deploy/nginx test will fail" >&2
fi

# slapd and the LDAP tools, for the LDAP tests (Debian packages; the tests start their own throw-away
# instance on a high port, so the package's own daemon, if its postinst started one, is stopped again).
if { ! [ -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null; } && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "services: installing slapd"
  install_slapd() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q slapd ldap-utils >/dev/null 2>&1; }
  install_slapd || { apt-get update -q >/dev/null 2>&1 && install_slapd; } \
    || echo "services: cannot install slapd; the LDAP tests will fail" >&2
  if [ -x /usr/sbin/slapd ]; then
    service slapd stop >/dev/null 2>&1 || true
    update-rc.d slapd disable >/dev/null 2>&1 || true
    # Only the package's daemon: its pid file, never every slapd (a test may be running its own).
    pid_file=/var/run/slapd/slapd.pid
    if [ -s "$pid_file" ]; then kill "$(cat "$pid_file")" >/dev/null 2>&1 || true; fi
  fi
fi
exit 0
