-- wrk script for scripts/bench-server.sh: each thread sends its own share of the pre-signed,
-- single-use release requests (REQUESTS_FILE), never one twice while they last.
local counter = 1
local threads = {}

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    requests = dofile(os.getenv("REQUESTS_FILE"))
    index = id
    stride = tonumber(os.getenv("WRK_THREADS"))
    wrapped = 0
end

function request()
    local raw = requests[index]
    index = index + stride
    if index > #requests then
        index = id
        wrapped = wrapped + 1
    end
    return raw
end

function done(summary, latency, requests)
    local wraps = 0
    for _, thread in ipairs(threads) do wraps = wraps + thread:get("wrapped") end
    io.write(string.format("wrk: requests=%d non2xx=%d errors=%d p50_us=%d p99_us=%d wraps=%d\n",
        summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.timeout, latency:percentile(50), latency:percentile(99), wraps))
end
