#!/bin/sh
# errata client wrapper for skopeo (Debian's containers/image client): the
# manifest ERRATA_PATH names (/v2/<name>/manifests/<reference>) fetched with
# 'skopeo inspect' (or 'skopeo copy' to a directory when SKOPEO_OP=copy),
# over plain HTTP, from ERRATA_BASE_URL (errata client --host-url).
set -u
host=${ERRATA_BASE_URL#http://}
rest=${ERRATA_PATH#/v2/}
name=${rest%/manifests/*}
ref=${rest##*/manifests/}
case "${SKOPEO_OP:-inspect}" in
copy)
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	exec skopeo --command-timeout 120s copy --src-tls-verify=false "docker://$host/$name:$ref" "dir:$dir/out" ;;
*)
	exec skopeo --command-timeout 120s inspect --tls-verify=false --raw "docker://$host/$name:$ref" ;;
esac
