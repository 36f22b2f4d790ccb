#!/bin/sh
echo "app running with $(wc -l < /app/installed.txt) dependencies"
