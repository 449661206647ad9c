#!/bin/sh
# Test certificates, made by openssl in DIR and readable by all (the broker drops to the
# mosquitto user). Keys are EC P-256; everything is valid for 2 days unless said otherwise.
#   ca, other-ca   two CAs; other-ca signs only the rogue certificate
#   server         the broker's, for IP 127.0.0.1 and localhost, signed by ca
#   wronghost      signed by ca, for hq.example.com only
#   CN...          a client certificate for each CN given (CN.crt, CN.key), signed by ca
#   rogue          the first CN's name, signed by other-ca
#   expired        the first CN's name, signed by ca, valid on 1 January 2020 only
# Usage: make-test-certs.sh DIR [CN...]
set -e
cd "$1"
shift
q() { "$@" >/dev/null 2>&1 || { echo "make-test-certs.sh: failed: $*" >&2; exit 1; }; }
key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
for ca in ca other-ca; do
	q openssl req -x509 $key -keyout $ca.key -out $ca.crt -days 2 -subj "/CN=shelfwatch test $ca"
done
# sign NAME CN CA [SAN]: NAME.key and NAME.crt for CN, signed by CA
sign() {
	q openssl req $key -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
	ext=
	if [ -n "${4:-}" ]; then
		printf 'subjectAltName=%s\n' "$4" >"$1.ext"
		ext="-extfile $1.ext"
	fi
	q openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -out "$1.crt" \
		-days 2 $ext
}
sign server server ca 'IP:127.0.0.1,DNS:localhost'
sign wronghost wronghost ca 'DNS:hq.example.com'
for cn in "$@"; do
	sign "$cn" "$cn" ca
done
if [ $# -gt 0 ]; then
	sign rogue "$1" other-ca
	mkdir -p ca-db
	: >ca-db/index.txt
	echo 1000 >ca-db/serial
	printf '[ca]\ndefault_ca = t\n[t]\ndatabase = ca-db/index.txt\nserial = ca-db/serial\nnew_certs_dir = ca-db\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' >ca.cnf
	q openssl req $key -keyout expired.key -out expired.csr -subj "/CN=$1"
	q openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr \
		-out expired.crt -startdate 20200101000000Z -enddate 20200102000000Z -notext
fi
chmod 644 ./*.key ./*.crt
