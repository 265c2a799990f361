# The proxies of bench/gateway.sh and bench/profile.sh: ports, configurations, start-up. Source after lib.sh.
BACKEND_PORT=61100 FERRY_PORT=61101 FERRY_ADMIN_PORT=61102 NGINX_PORT=61103 HAPROXY_PORT=61104

# Writes nginx.conf and haproxy.cfg into $WORK (checked with nginx -t and haproxy -c, copied into $RESULTS).
write_proxy_configs() {
  local port
  for port in $BACKEND_PORT $FERRY_PORT $FERRY_ADMIN_PORT $NGINX_PORT $HAPROXY_PORT; do
    [ -z "$(ss -Hltn "sport = :$port")" ] || die "port $port is taken"
  done

  # nginx: one worker for the one core; a large, long-lived upstream keepalive pool (keepalive_requests and
  # keepalive_timeout far beyond the run) so calls are not paid for with new upstream connections; the same on the
  # client side; no body size cap; access log off; HTTP/2 window (body preread), chunk and gRPC buffer raised for
  # bulk streams; timeouts longer than any transfer.
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream backend {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 1000;
    keepalive_requests 1000000000;
    keepalive_timeout 1h;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT http2;
    http2_max_concurrent_streams 1000;
    http2_body_preread_size 1m;
    http2_chunk_size ${NGINX_CHUNK:-64k};
    keepalive_requests 1000000000;
    keepalive_timeout 1h;
    client_max_body_size 0;
    client_body_timeout 1h;
    send_timeout 1h;
    location / {
      grpc_pass grpc://backend;
      grpc_buffer_size ${NGINX_GRPC_BUFFER:-1m};
      grpc_read_timeout 1h;
      grpc_send_timeout 1h;
      grpc_socket_keepalive on;
    }
  }
}
EOF
  nginx -t -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$RESULTS/raw/nginx-t.log" 2>&1 ||
    { cat "$RESULTS/raw/nginx-t.log" >&2; die "nginx config"; }
  cp "$WORK/nginx/nginx.conf" "$RESULTS/nginx.conf"

  # HAProxy: one thread for the one core; h2 on both sides; backend connections shared by all streams
  # (http-reuse always); 1 MiB HTTP/2 stream windows instead of 64 KiB and 64 KiB buffers for bulk streams;
  # timeouts longer than any transfer; no logging (no log directive anywhere).
  cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
  tune.h2.initial-window-size 1048576
  tune.h2.max-concurrent-streams 1000
  tune.bufsize ${HAPROXY_BUFSIZE:-65536}
defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout http-keep-alive 1h
  http-reuse ${HAPROXY_REUSE:-always}
frontend grpc
  bind 127.0.0.1:$HAPROXY_PORT proto h2
  default_backend backend
backend backend
  server s1 127.0.0.1:$BACKEND_PORT proto h2
EOF
  haproxy -c -f "$WORK/haproxy.cfg" >"$RESULTS/raw/haproxy-c.log" 2>&1 ||
    { cat "$RESULTS/raw/haproxy-c.log" >&2; die "haproxy config"; }
  cp "$WORK/haproxy.cfg" "$RESULTS/haproxy.cfg"
}

# start_proxy CONFIG LABEL : starts the proxy pinned to $SERVER_CPU (direct: none) and waits until it listens;
# sets PROXY_PID (empty for direct) and PROXY_PORT. PROXY_ENV (e.g. DOTNET_PerfMapEnabled=1) and FERRY_ARGS
# (e.g. --sample-allocations) go to Ferry. ferryb is the same gateway with FERRYB_ENV added to its environment, for
# A/B runs of a runtime setting side by side with ferry (CONFIGS="ferry ferryb" FERRYB_ENV=NAME=VALUE).
start_proxy() {
  local name="gw-$1-$2"
  case "$1" in
    direct) PROXY_PID="" PROXY_PORT=$BACKEND_PORT; return ;;
    ferry)
      start_pinned "$name" "$SERVER_CPU" env ${PROXY_ENV:-} "${FERRY_GATEWAY[@]}" gateway --listen "$FERRY_PORT" \
        --backend "127.0.0.1:$BACKEND_PORT" --admin "$FERRY_ADMIN_PORT" ${FERRY_ARGS:-}
      PROXY_PORT=$FERRY_PORT ;;
    ferryb)
      start_pinned "$name" "$SERVER_CPU" env ${PROXY_ENV:-} ${FERRYB_ENV:?ferryb needs FERRYB_ENV} "${FERRY_GATEWAY[@]}" gateway \
        --listen "$FERRY_PORT" --backend "127.0.0.1:$BACKEND_PORT" --admin "$FERRY_ADMIN_PORT" ${FERRY_ARGS:-}
      PROXY_PORT=$FERRY_PORT ;;
    nginx)
      start_pinned "$name" "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
      PROXY_PORT=$NGINX_PORT ;;
    haproxy)
      start_pinned "$name" "$SERVER_CPU" haproxy -f "$WORK/haproxy.cfg" -db
      PROXY_PORT=$HAPROXY_PORT ;;
    *) die "unknown configuration $1" ;;
  esac
  PROXY_PID=$STARTED_PID
  wait_listening "$name" "$PROXY_PID" "$PROXY_PORT"
}
