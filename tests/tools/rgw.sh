# A throwaway S3 engine for tests (sourced by tests/lib.sh users): a one-node Ceph cluster (one
# monitor, one OSD on memstore, no manager) with RADOS Gateway serving S3 on 127.0.0.1. Debian's
# ceph-mon, ceph-osd and radosgw packages (scripts/install-deps test). Everything lives under
# one directory; rgw_stop stops what rgw_start started.
#
#   rgw_start DIR     sets RGW_ENDPOINT (http://127.0.0.1:PORT), RGW_ACCESS_KEY, RGW_SECRET_KEY
#   rgw_gateway_stop  stops the gateway alone (the cluster keeps the data)
#   rgw_gateway_start starts it again on the same port
#   rgw_curl ARGS...  curl signing with the test user's keys (curl's own SigV4, not kiln's)
#   rgw_stop

RGW_ACCESS_KEY=TESTACCESSKEY0000000
RGW_SECRET_KEY=testsecretkey0000000000000000000000000000

_rgw_wait() {  # _rgw_wait WHAT CMD...: up to 20 s
  local what=$1 i
  shift
  for i in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$what did not come up; logs in $RGW_DIR/log: $(tail -5 "$RGW_DIR"/log/*.log 2>/dev/null | tail -c 1500)"
}

rgw_start() {
  for b in ceph-mon ceph-osd radosgw monmaptool uuidgen; do
    command -v "$b" >/dev/null || fail "$b missing (scripts/install-deps test installs Ceph)"
  done
  RGW_DIR=$1
  local mon_port rgw_port fsid
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(uuidgen)
  mkdir -p "$RGW_DIR"/{mon,osd,log,run}
  cat >"$RGW_DIR/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = $((mon_port + 1))
ms bind port max = $((mon_port + 400))
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms mon client mode = crc
run dir = $RGW_DIR/run
log file = $RGW_DIR/log/\$name.log
admin socket = $RGW_DIR/run/\$name.asok
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05
paxos min wait = 0.01
mon max pg per osd = 1000
[mon]
mon data = $RGW_DIR/mon/\$cluster-\$id
[osd]
osd data = $RGW_DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = ${RGW_MEM_BYTES:-2147483648}
osd max object size = 134217728
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $RGW_DIR/rgw
rgw thread pool size = 64
rgw dns name = localhost
rgw gc obj min wait = 5
rgw gc processor period = 5
CONF
  export CEPH_CONF=$RGW_DIR/ceph.conf
  RGW_PIDS=()
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$RGW_DIR/monmap" >/dev/null
  mkdir -p "$RGW_DIR/mon/ceph-a" "$RGW_DIR/osd/ceph-0" "$RGW_DIR/rgw"
  ceph-mon --mkfs -i a --monmap "$RGW_DIR/monmap" >>"$RGW_DIR/log/setup" 2>&1
  ceph-mon -f -i a >>"$RGW_DIR/log/mon.out" 2>&1 &
  RGW_PIDS+=($!)
  cleanup_hooks+=("rgw_stop")
  _rgw_wait "the Ceph monitor" ceph --connect-timeout 2 mon stat
  local uuid id
  uuid=$(uuidgen)
  id=$(ceph osd new "$uuid")
  ceph-osd -i "$id" --mkfs --osd-uuid "$uuid" >>"$RGW_DIR/log/setup" 2>&1
  ceph-osd -f -i "$id" >>"$RGW_DIR/log/osd.out" 2>&1 &
  RGW_PIDS+=($!)
  _rgw_wait "the Ceph OSD" bash -c 'ceph osd stat 2>/dev/null | grep -q "1 up"'
  RGW_ENDPOINT=http://127.0.0.1:$rgw_port
  rgw_gateway_start
  radosgw-admin user create --uid=test --display-name=test --access-key="$RGW_ACCESS_KEY" \
    --secret-key="$RGW_SECRET_KEY" >"$RGW_DIR/user.json" 2>>"$RGW_DIR/log/setup"
}

rgw_gateway_start() {
  radosgw -f -n client.rgw.a >>"$RGW_DIR/log/rgw.out" 2>&1 &
  RGW_GW_PID=$!
  _rgw_wait "radosgw" curl -s -o /dev/null "$RGW_ENDPOINT/"
}

rgw_gateway_stop() {
  kill -9 "$RGW_GW_PID" 2>/dev/null || true
  wait "$RGW_GW_PID" 2>/dev/null || true
}

rgw_stop() {
  rgw_gateway_stop
  local p
  # The OSD first and hard: a memstore OSD writes its whole store to disk on a clean stop.
  for p in "${RGW_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${RGW_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  RGW_PIDS=()
}

rgw_curl() {
  curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"
}
