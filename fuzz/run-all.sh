#!/bin/sh
# Runs each target for 610 s, one after another. With -jobs=1 libFuzzer writes
# its output to fuzz-0.log, kept as logs/TARGET.log.
cd "$(dirname "$0")" && mkdir -p logs
for target in ${TARGETS:-authorization_header jwt_decode token_key session_cookie}; do
    mkdir -p "corpus/$target"
    date -u +%FT%TZ > "logs/$target.start"
    nice -n 10 cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time=610 -jobs=1 -workers=1 > "logs/$target.cargo.log" 2>&1
    echo "$target exit $?" >> logs/summary
    mv fuzz-0.log "logs/$target.log"
    date -u +%FT%TZ > "logs/$target.end"
done
