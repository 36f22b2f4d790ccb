#!/bin/bash
# Which .dockerignore applies to a build: <Dockerfile>.dockerignore next to
# the Dockerfile takes precedence over the context's .dockerignore.
. "$(dirname "$0")/lib.sh"

mkdir -p ctx/sub ctx/docs
printf 'FROM scratch\n' >ctx/Dockerfile
printf 'FROM scratch\n' >ctx/sub/app.Dockerfile

expect_rc 0 "$CBUILD" debug context ctx docs/a.md
contains "$T/out" "ignore-file: (none)"
contains "$T/out" "docs/a.md: included"

printf '# context rules\n*.md\n!README.md\ndocs\n' >ctx/.dockerignore
expect_rc 0 "$CBUILD" debug context ctx x.md README.md docs/a/b.txt main.c
contains "$T/out" "ignore-file: ctx/.dockerignore"
contains "$T/out" "x.md: excluded"
contains "$T/out" "README.md: included"
contains "$T/out" "docs/a/b.txt: excluded"
contains "$T/out" "main.c: included"

# A Dockerfile without its own ignore file uses the context's.
expect_rc 0 "$CBUILD" debug context -f ctx/sub/app.Dockerfile ctx x.md
contains "$T/out" "ignore-file: ctx/.dockerignore"

# Its own ignore file wins, and the context's rules no longer apply.
printf 'main.c\n' >ctx/sub/app.Dockerfile.dockerignore
expect_rc 0 "$CBUILD" debug context -f ctx/sub/app.Dockerfile ctx x.md main.c
contains "$T/out" "ignore-file: ctx/sub/app.Dockerfile.dockerignore"
contains "$T/out" "x.md: included"
contains "$T/out" "main.c: excluded"

# Same for the default Dockerfile name.
printf 'README.md\n' >ctx/Dockerfile.dockerignore
expect_rc 0 "$CBUILD" debug context ctx README.md x.md
contains "$T/out" "ignore-file: ctx/Dockerfile.dockerignore"
contains "$T/out" "README.md: excluded"
contains "$T/out" "x.md: included"

# A bad pattern is an error naming the file.
printf '[\n' >ctx/Dockerfile.dockerignore
expect_rc 1 "$CBUILD" debug context ctx
contains "$T/err" "ctx/Dockerfile.dockerignore"

# A missing context is a clear error.
expect_rc 1 "$CBUILD" debug context no-such-dir
contains "$T/err" "build context \`no-such-dir\`: No such file or directory"
echo ok
