#!/bin/sh
touch /tmp/healthy
echo "serving /data on :8080 as $(id -un)"
