#!/bin/sh
# Runs once when the InfluxDB 2 container is first set up: map the bucket to an InfluxQL
# database of the same name, so that dashboards written in InfluxQL work unchanged on 2.x.
set -e
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f1)
influx v1 dbrp create --db "${DOCKER_INFLUXDB_INIT_BUCKET}" --rp autogen --bucket-id "${bucket_id}" --default
