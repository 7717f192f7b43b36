-- wrk script of `make bench`: replays the request mix written by bench/run.py.
-- Each line of $VERITY_BENCH_REQUESTS is "<Origin or empty>\t<JSON body>".
local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(os.getenv("VERITY_BENCH_REQUESTS")) do
    local origin, body = line:match("^([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    if origin ~= "" then
      headers["Origin"] = origin
    end
    requests[#requests + 1] = wrk.format("POST", "/messenger/v1/ping", headers, body)
  end
  -- Threads start at different places in the mix.
  next_index = math.random(#requests)
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
