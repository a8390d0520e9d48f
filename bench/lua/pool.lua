-- The pool page of bench/lua/run.sh: each client request to the benchmark
-- nginx makes one request through the worker-wide pool (resty.http2.pool)
-- and answers with the upstream's status and body length.
--
--   /pool?url=http://127.0.0.1:P/1k.bin

local pool = require "resty.http2.pool"

local res, err = pool.request(ngx.var.arg_url, { timeout = 30 })
if not res or res.status ~= 200 then
    ngx.status = 502
    ngx.say("fail ", tostring(err or res.status))
    return
end
ngx.say("ok ", #res.body)
