-- wrk script of `make bench`, the hostile mix: every request is new. Request number n
-- (from $VERITY_BENCH_OFFSET on) is one of, in turn:
--   0 a garbage body (not JSON, or JSON of the wrong shape) from a distinct Origin;
--   1 a distinct unknown app_id;
--   2 a known app_id from a distinct Origin of 20 to 300 characters (the gateway's
--     limit), or of 4,000 (refused);
--   3 a known app_id with a distinct token that fails (kid unknown or signature wrong);
--   4 a known app_id, a distinct user_id with a wrong user_hash, a distinct Origin.
local app_ids = {}
local n = 0
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64url(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 4
    if not b then chars = 2 elseif not c then chars = 3 end
    for k = 1, chars do
      local idx = math.floor(v / 2 ^ (6 * (4 - k))) % 64
      out[#out + 1] = b64chars:sub(idx + 1, idx + 1)
    end
  end
  return table.concat(out)
end

function init(args)
  for id in os.getenv("VERITY_BENCH_APP_IDS"):gmatch("[^,]+") do
    app_ids[#app_ids + 1] = id
  end
  n = tonumber(os.getenv("VERITY_BENCH_OFFSET") or "0")
end

local function origin(i)
  local length = 20 + (i * 7919) % 281
  if i % 97 == 0 then length = 4000 end
  local host = "h" .. i .. "-"
  host = host .. string.rep("x", math.max(0, length - #host - 20))
  return "https://" .. host .. ".hostile.example"
end

local function post(body, from)
  local headers = { ["Content-Type"] = "application/json" }
  if from then headers["Origin"] = from end
  return wrk.format("POST", "/messenger/v1/ping", headers, body)
end

function request()
  n = n + 1
  local kind = n % 5
  local app = app_ids[n % #app_ids + 1]
  if kind == 0 then
    if n % 2 == 0 then
      return post("{\"app_id\": [" .. n .. ", \"garbage\xff\"" .. string.rep("]", n % 40), origin(n))
    end
    return post("{\"app_id\":" .. n .. ",\"platform\":{\"x\":\"" .. n .. "\"}}", origin(n))
  elseif kind == 1 then
    return post("{\"app_id\":\"app_hostile" .. n .. "\",\"platform\":\"web\"}", origin(n))
  elseif kind == 2 then
    return post("{\"app_id\":\"" .. app .. "\",\"platform\":\"web\"}", origin(n))
  elseif kind == 3 then
    local header
    if n % 2 == 0 then
      header = "{\"alg\":\"HS256\",\"kid\":\"kid-" .. n .. "\"}"
    else
      header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
    end
    local token = b64url(header) .. "." .. b64url("{\"user_id\":\"u" .. n .. "\"}") ..
      "." .. b64url("signature-" .. n .. "-padding-to-32-bytes")
    return post("{\"app_id\":\"" .. app .. "\",\"platform\":\"web\",\"user_jwt\":\"" .. token .. "\"}", nil)
  end
  return post("{\"app_id\":\"" .. app .. "\",\"platform\":\"web\",\"user_id\":\"u" .. n ..
    "\",\"user_hash\":\"" .. string.rep("0", 64) .. "\"}", origin(n))
end
