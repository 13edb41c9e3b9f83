#!/bin/sh
# The first user from RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS (used when the node first
# creates its database), then the broker in the foreground.
set -eu
{
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  echo "loopback_users.guest = true"
} >/etc/rabbitmq/rabbitmq.conf
exec rabbitmq-server "$@"
