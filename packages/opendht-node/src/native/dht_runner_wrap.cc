// DhtRunner binding: argument conversion, OpenDHT calls, and the hand-over of every OpenDHT
// callback to the JS thread. Lifecycle rules:
//  - each pending promise is an "op"; while any op is pending the TSFN and the wrapper are
//    ref'd (the event loop stays alive, the wrapper is not collected); otherwise both are unref'd;
//  - listeners never keep the event loop alive;
//  - the TSFN is released only after RunnerCore::joinOnce(), when OpenDHT can no longer call us.
#include "dht_runner_wrap.h"
#include "crypto_wrap.h"
#include "value_convert.h"

#include <opendht/log.h>

#include <arpa/inet.h>
#include <cstdlib>
#include <set>

namespace odn {

// ---------------------------------------------------------------- registry of live nodes

namespace {

// Leaked on purpose: must outlive static destructors that run during exit().
std::mutex& registryMutex() {
    static auto* m = new std::mutex;
    return *m;
}
std::set<RunnerCore*>& registry() {
    static auto* s = new std::set<RunnerCore*>;
    return *s;
}

void joinAllAtExit() {
    std::lock_guard<std::mutex> lock(registryMutex());
    for (auto* core : registry())
        core->joinOnce();
}

void post(const RunnerTsfn& tsfn, std::function<void(Napi::Env, RunnerState&)> fn) {
    auto* job = new Job {std::move(fn)};
    if (tsfn.NonBlockingCall(job) != napi_ok)
        delete job;
}

// Removes the op and hands its deferred to `settle`; unrefs the runner when none is left.
void settleOp(Napi::Env env, RunnerState& st, uint64_t id, const std::function<void(napi_deferred)>& settle) {
    auto it = st.ops.find(id);
    if (it == st.ops.end())
        return;
    auto deferred = it->second;
    st.ops.erase(it);
    if (st.ops.empty() && st.wrap)
        st.wrap->onIdle(env);
    settle(deferred);
}

void resolveOp(Napi::Env env, RunnerState& st, uint64_t id, const std::function<Napi::Value()>& make) {
    settleOp(env, st, id, [&](napi_deferred d) {
        Napi::Value v;
        try {
            v = make();
        } catch (const Napi::Error& e) {
            napi_reject_deferred(env, d, e.Value());
            return;
        }
        napi_resolve_deferred(env, d, v);
    });
}

void rejectOp(Napi::Env env, RunnerState& st, uint64_t id, const std::string& message, const char* code) {
    settleOp(env, st, id, [&](napi_deferred d) {
        napi_reject_deferred(env, d, makeError(env, message, code).Value());
    });
}

Napi::Array valuesToJs(Napi::Env env, const std::vector<std::shared_ptr<dht::Value>>& values) {
    auto arr = Napi::Array::New(env, values.size());
    uint32_t i = 0;
    for (const auto& v : values)
        if (v)
            arr.Set(i++, valueToJs(env, *v));
    return arr;
}

Napi::Object statsToJs(Napi::Env env, const dht::NodeStats& s) {
    auto o = Napi::Object::New(env);
    o.Set("good", Napi::Number::New(env, s.good_nodes));
    o.Set("dubious", Napi::Number::New(env, s.dubious_nodes));
    o.Set("cached", Napi::Number::New(env, s.cached_nodes));
    o.Set("incoming", Napi::Number::New(env, s.incoming_nodes));
    o.Set("searches", Napi::Number::New(env, s.searches));
    o.Set("tableDepth", Napi::Number::New(env, s.table_depth));
    o.Set("networkSizeEstimation", Napi::Number::New(env, static_cast<double>(s.getNetworkSizeEstimation())));
    return o;
}

dht::SockAddr makeBindAddr(Napi::Env env, sa_family_t family, const std::string& ip, in_port_t port) {
    if (family == AF_INET) {
        sockaddr_in sin {};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        if (!ip.empty() && inet_pton(AF_INET, ip.c_str(), &sin.sin_addr) != 1)
            throw makeError(env, "bindIPv4 is not an IPv4 address: " + ip, "EINVAL");
        return dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
    }
    sockaddr_in6 sin6 {};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    if (!ip.empty() && inet_pton(AF_INET6, ip.c_str(), &sin6.sin6_addr) != 1)
        throw makeError(env, "bindIPv6 is not an IPv6 address: " + ip, "EINVAL");
    return dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

std::string optString(Napi::Object o, const char* key) {
    auto v = o.Get(key);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string {};
}
bool optBool(Napi::Object o, const char* key, bool dflt) {
    auto v = o.Get(key);
    return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}
uint32_t optUint(Napi::Object o, const char* key, uint32_t dflt) {
    auto v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
}

// Joins the node off the JS thread, then lets the wrapper settle what is left.
class JoinWorker : public Napi::AsyncWorker {
public:
    JoinWorker(Napi::Env env, std::shared_ptr<RunnerCore> core, Napi::Object wrapper)
        : Napi::AsyncWorker(env, "opendht:join"),
          deferred_(Napi::Promise::Deferred::New(env)),
          core_(std::move(core)),
          wrapper_(Napi::Persistent(wrapper)) {}

    Napi::Promise promise() const { return deferred_.Promise(); }

protected:
    void Execute() override { core_->joinOnce(); }
    void OnOK() override {
        auto env = Env();
        try {
            DhtRunnerWrap::Unwrap(wrapper_.Value())->afterJoin(env);
        } catch (...) {
            // afterJoin only settles promises; nothing to recover
        }
        wrapper_.Reset();
        deferred_.Resolve(env.Undefined());
    }

private:
    Napi::Promise::Deferred deferred_;
    std::shared_ptr<RunnerCore> core_;
    Napi::ObjectReference wrapper_;
};

}  // namespace

void initRunnerRegistry() {
    static bool done = false;
    if (!done) {
        done = true;
        std::atexit(joinAllAtExit);
    }
}

void dispatchJob(Napi::Env env, Napi::Function, RunnerState* state, Job* job) {
    std::unique_ptr<Job> owned(job);
    if (!env || !state || !owned)
        return;
    try {
        owned->run(env, *state);
    } catch (const Napi::Error& e) {
        // A JS callback threw: surface it as an uncaught exception, as an event emitter would.
        napi_fatal_exception(env, e.Value());
    } catch (...) {
    }
}

// ---------------------------------------------------------------- RunnerCore

RunnerCore::RunnerCore(RunnerTsfn t) : tsfn(t) {
    std::lock_guard<std::mutex> lock(registryMutex());
    registry().insert(this);
}

RunnerCore::~RunnerCore() {
    {
        std::lock_guard<std::mutex> lock(registryMutex());
        registry().erase(this);
    }
    joinOnce();
}

void RunnerCore::joinOnce() {
    std::lock_guard<std::mutex> lock(joinMutex_);
    // Breaks every pending listen-token promise, so the waiter can drain its queue.
    runner.join();
    {
        std::lock_guard<std::mutex> wl(waitMutex_);
        stopWaiter_ = true;
    }
    waitCv_.notify_all();
    if (waiter_.joinable())
        waiter_.join();
}

void RunnerCore::waitForToken(uint64_t opId, std::shared_future<size_t> token) {
    std::lock_guard<std::mutex> lock(waitMutex_);
    if (stopWaiter_) {
        // Node already joined: nothing will ever set the token.
        post(tsfn, [opId](Napi::Env env, RunnerState& st) {
            rejectOp(env, st, opId, "the DHT node stopped before the listen was registered", "ESHUTDOWN");
        });
        return;
    }
    waitQueue_.emplace_back(opId, std::move(token));
    if (!waiter_.joinable())
        waiter_ = std::thread([this] { waiterLoop(); });
    waitCv_.notify_all();
}

void RunnerCore::waiterLoop() {
    std::unique_lock<std::mutex> lock(waitMutex_);
    for (;;) {
        waitCv_.wait(lock, [this] { return stopWaiter_ || !waitQueue_.empty(); });
        if (waitQueue_.empty())
            return;  // stopping and drained
        auto item = std::move(waitQueue_.front());
        waitQueue_.pop_front();
        lock.unlock();
        bool ok = false;
        try {
            item.second.get();
            ok = true;
        } catch (...) {
        }
        auto opId = item.first;
        post(tsfn, [opId, ok](Napi::Env env, RunnerState& st) {
            if (ok)
                resolveOp(env, st, opId, [&] { return env.Undefined(); });
            else
                rejectOp(env, st, opId, "the DHT node stopped before the listen was registered", "ESHUTDOWN");
        });
        lock.lock();
    }
}

// ---------------------------------------------------------------- DhtRunnerWrap

Napi::Function DhtRunnerWrap::Define(Napi::Env env) {
    return DefineClass(env, "NativeDhtRunner", {
        InstanceMethod<&DhtRunnerWrap::Run>("run"),
        InstanceMethod<&DhtRunnerWrap::GetBoundPort>("getBoundPort"),
        InstanceMethod<&DhtRunnerWrap::Bootstrap>("bootstrap"),
        InstanceMethod<&DhtRunnerWrap::Get>("get"),
        InstanceMethod<&DhtRunnerWrap::Put>("put"),
        InstanceMethod<&DhtRunnerWrap::PutPacked>("putPacked"),
        InstanceMethod<&DhtRunnerWrap::CancelPut>("cancelPut"),
        InstanceMethod<&DhtRunnerWrap::Listen>("listen"),
        InstanceMethod<&DhtRunnerWrap::CancelListen>("cancelListen"),
        InstanceMethod<&DhtRunnerWrap::GetNodeId>("getNodeId"),
        InstanceMethod<&DhtRunnerWrap::GetId>("getId"),
        InstanceMethod<&DhtRunnerWrap::GetNodeInfo>("getNodeInfo"),
        InstanceMethod<&DhtRunnerWrap::Shutdown>("shutdown"),
        InstanceMethod<&DhtRunnerWrap::Join>("join"),
        InstanceMethod<&DhtRunnerWrap::MaxDataSize>("maxDataSize"),
    });
}

DhtRunnerWrap::DhtRunnerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DhtRunnerWrap>(info) {
    auto env = info.Env();
    env_ = env;
    state_ = new RunnerState;
    state_->wrap = this;
    tsfn_ = RunnerTsfn::New(env, "opendht:DhtRunner", 0, 1, state_,
        [](Napi::Env, void*, RunnerState* st) {
            if (st->wrap)
                st->wrap->onStateFinalized();
            delete st;
        });
    tsfn_.Unref(env);
    core_ = std::make_shared<RunnerCore>(tsfn_);
    // Registered after the TSFN so that, at environment teardown, it runs before the TSFN's own
    // cleanup (hooks run in reverse order): the node is joined while the TSFN is still valid.
    if (napi_add_env_cleanup_hook(env, envCleanup, this) == napi_ok)
        hookActive_ = true;
}

DhtRunnerWrap::~DhtRunnerWrap() {
    if (hookActive_) {
        napi_remove_env_cleanup_hook(env_, envCleanup, this);
        hookActive_ = false;
    }
    if (core_)
        core_->joinOnce();
    if (state_)
        releaseTsfn();
}

void DhtRunnerWrap::envCleanup(void* arg) {
    auto* self = static_cast<DhtRunnerWrap*>(arg);
    self->hookActive_ = false;
    if (self->core_)
        self->core_->joinOnce();
}

void DhtRunnerWrap::releaseTsfn() {
    state_->wrap = nullptr;
    state_ = nullptr;
    tsfn_.Release();
}

RunnerState& DhtRunnerWrap::liveState(Napi::Env env) {
    if (!state_ || joining_)
        throw makeError(env, "the DHT node is shut down", "ESHUTDOWN");
    return *state_;
}

uint64_t DhtRunnerWrap::beginOp(Napi::Env env, napi_value* promise) {
    auto& st = liveState(env);
    napi_deferred deferred;
    if (napi_create_promise(env, &deferred, promise) != napi_ok)
        throw makeError(env, "could not create a promise", "ENATIVE");
    auto id = nextOpId_++;
    st.ops.emplace(id, deferred);
    if (st.ops.size() == 1) {
        tsfn_.Ref(env);
        Ref();
    }
    return id;
}

void DhtRunnerWrap::onIdle(Napi::Env env) {
    tsfn_.Unref(env);
    Unref();
}

void DhtRunnerWrap::afterJoin(Napi::Env env) {
    if (!state_)
        return;
    // OpenDHT drops the callbacks of operations still queued when it stops: settle them here.
    auto ops = std::move(state_->ops);
    state_->ops.clear();
    if (!ops.empty())
        onIdle(env);
    for (auto& [id, deferred] : ops)
        napi_reject_deferred(env, deferred, makeError(env, "the DHT node was shut down", "ESHUTDOWN").Value());
    state_->listeners.clear();
    if (hookActive_) {
        napi_remove_env_cleanup_hook(env_, envCleanup, this);
        hookActive_ = false;
    }
    releaseTsfn();
}

// run({ port, bindIPv4, bindIPv6, ipv4, ipv6, networkId, key, certificate, peerDiscovery, peerPublish, log })
Napi::Value DhtRunnerWrap::Run(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        liveState(env);
        if (!info[0].IsObject())
            throw makeError(env, "options must be an object", "EINVAL");
        auto opts = info[0].As<Napi::Object>();
        auto port = static_cast<in_port_t>(optUint(opts, "port", 0));

        dht::DhtRunner::Config config;
        config.threaded = true;
        config.dht_config.node_config.network = optUint(opts, "networkId", 0);
        config.peer_discovery = optBool(opts, "peerDiscovery", false);
        config.peer_publish = optBool(opts, "peerPublish", false);
        auto key = opts.Get("key");
        if (!key.IsUndefined() && !key.IsNull())
            config.dht_config.id = {PrivateKeyWrap::From(env, key, "identity.key"),
                                    CertificateWrap::From(env, opts.Get("certificate"), "identity.certificate")};
        if (optBool(opts, "ipv4", true))
            config.bind4 = makeBindAddr(env, AF_INET, optString(opts, "bindIPv4"), port);
        if (optBool(opts, "ipv6", true))
            config.bind6 = makeBindAddr(env, AF_INET6, optString(opts, "bindIPv6"), port);

        dht::DhtRunner::Context context;
        if (optBool(opts, "log", false))
            context.logger = dht::log::getStdLogger();
        core_->runner.run(config, std::move(context));
        nodeId_ = core_->runner.getNodeId();
        id_ = core_->runner.getId();
        return env.Undefined();
    });
}

Napi::Value DhtRunnerWrap::GetBoundPort(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto family = info[0].IsNumber() && info[0].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
        return Napi::Number::New(info.Env(), core_->runner.getBoundPort(family));
    });
}

// bootstrap(ip, port, host) -> Promise<boolean>: pings ip:port; also adds host:port to the
// nodes OpenDHT retries whenever it gets disconnected.
Napi::Value DhtRunnerWrap::Bootstrap(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto ip = argString(info, 0, "ip");
        auto port = std::to_string(argUint(info, 1, "port"));
        auto host = argOptString(info, 2);
        auto addrs = dht::SockAddr::resolve(ip, port);
        if (addrs.empty())
            throw makeError(env, "cannot resolve " + ip, "EINVAL");
        napi_value promise;
        auto opId = beginOp(env, &promise);
        auto tsfn = tsfn_;
        if (!host.empty())
            core_->runner.bootstrap(host, port);
        core_->runner.bootstrap(addrs.front(), [tsfn, opId](bool ok) {
            post(tsfn, [opId, ok](Napi::Env env, RunnerState& st) {
                resolveOp(env, st, opId, [&] { return Napi::Boolean::New(env, ok); });
            });
        });
        return Napi::Value(env, promise);
    });
}

// get(key) -> Promise<{ ok: boolean, values: Value[] }>
Napi::Value DhtRunnerWrap::Get(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto key = argHash(info, 0, "key");
        napi_value promise;
        auto opId = beginOp(env, &promise);
        auto tsfn = tsfn_;
        // Both callbacks run on the DHT thread, one after the other.
        auto found = std::make_shared<std::vector<std::shared_ptr<dht::Value>>>();
        dht::GetCallback onValues = [found](const std::vector<std::shared_ptr<dht::Value>>& values) {
            found->insert(found->end(), values.begin(), values.end());
            return true;
        };
        dht::DoneCallback onDone = [tsfn, opId, found](bool ok, const std::vector<std::shared_ptr<dht::Node>>&) {
            post(tsfn, [opId, ok, values = std::move(*found)](Napi::Env env, RunnerState& st) {
                resolveOp(env, st, opId, [&]() -> Napi::Value {
                    auto o = Napi::Object::New(env);
                    o.Set("ok", Napi::Boolean::New(env, ok));
                    o.Set("values", valuesToJs(env, values));
                    return o;
                });
            });
        };
        core_->runner.get(key, std::move(onValues), std::move(onDone));
        return Napi::Value(env, promise);
    });
}

// put(key, data, type, id, permanent, mode, to) -> Promise<boolean>
//   mode 0: plain, 1: signed with the node identity, 2: encrypted for `to` (hex id or NativePublicKey)
Napi::Value DhtRunnerWrap::Put(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto key = argHash(info, 0, "key");
        auto value = std::make_shared<dht::Value>(
            static_cast<dht::ValueType::Id>(argUint(info, 2, "type")), argBytes(info, 1, "data"), argValueId(info, 3));
        auto permanent = argBool(info, 4, false);
        auto mode = argUint(info, 5, "mode");
        std::shared_ptr<dht::crypto::PublicKey> toKey;
        dht::InfoHash toId;
        if (mode == 2) {
            if (info[6].IsString())
                toId = argHash(info, 6, "to");
            else
                toKey = PublicKeyWrap::From(env, info[6], "to");
        } else if (mode > 2) {
            throw makeError(env, "unknown put mode", "EINVAL");
        }

        napi_value promise;
        auto opId = beginOp(env, &promise);
        auto tsfn = tsfn_;
        dht::DoneCallback onDone = [tsfn, opId](bool ok, const std::vector<std::shared_ptr<dht::Node>>&) {
            post(tsfn, [opId, ok](Napi::Env env, RunnerState& st) {
                resolveOp(env, st, opId, [&] { return Napi::Boolean::New(env, ok); });
            });
        };
        auto& runner = core_->runner;
        if (mode == 0)
            runner.put(key, value, std::move(onDone), dht::time_point::max(), permanent);
        else if (mode == 1)
            runner.putSigned(key, value, std::move(onDone), permanent);
        else if (toKey)
            runner.putEncrypted(key, toKey, value, std::move(onDone), permanent);
        else
            runner.putEncrypted(key, toId, value, std::move(onDone), permanent);
        return Napi::Value(env, promise);
    });
}

// putPacked(key, packed, permanent) -> Promise<boolean>: puts a value exactly as packed
// (e.g. by packValue), signature included, bypassing SecureDht's signing.
Napi::Value DhtRunnerWrap::PutPacked(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto key = argHash(info, 0, "key");
        auto packed = argBytes(info, 1, "packed");
        auto permanent = argBool(info, 2, false);
        auto msg = msgpack::unpack(reinterpret_cast<const char*>(packed.data()), packed.size());
        auto value = std::make_shared<dht::Value>(msg.get());
        napi_value promise;
        auto opId = beginOp(env, &promise);
        auto tsfn = tsfn_;
        dht::DoneCallback onDone = [tsfn, opId](bool ok, const std::vector<std::shared_ptr<dht::Node>>&) {
            post(tsfn, [opId, ok](Napi::Env env, RunnerState& st) {
                resolveOp(env, st, opId, [&] { return Napi::Boolean::New(env, ok); });
            });
        };
        core_->runner.put(key, value, std::move(onDone), dht::time_point::max(), permanent);
        return Napi::Value(env, promise);
    });
}

Napi::Value DhtRunnerWrap::CancelPut(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        liveState(env);
        auto key = argHash(info, 0, "key");
        core_->runner.cancelPut(key, argValueId(info, 1));
        return env.Undefined();
    });
}

// listen(key, onValues(values, expired)) -> { id: number, ready: Promise<void> }
Napi::Value DhtRunnerWrap::Listen(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto key = argHash(info, 0, "key");
        if (!info[1].IsFunction())
            throw makeError(env, "onValues must be a function", "EINVAL");
        auto& st = liveState(env);
        auto listenerId = nextListenerId_++;
        auto tsfn = tsfn_;
        dht::ValueCallback onValues = [tsfn, listenerId](const std::vector<std::shared_ptr<dht::Value>>& values, bool expired) {
            post(tsfn, [listenerId, values, expired](Napi::Env env, RunnerState& st) {
                auto it = st.listeners.find(listenerId);
                if (it == st.listeners.end())
                    return;  // cancelled meanwhile
                Napi::HandleScope scope(env);
                auto cb = it->second.callback.Value();
                cb.Call({valuesToJs(env, values), Napi::Boolean::New(env, expired)});
            });
            return true;
        };
        auto token = core_->runner.listen(key, std::move(onValues)).share();
        st.listeners.emplace(listenerId, ListenerEntry {Napi::Persistent(info[1].As<Napi::Function>()), key, token});

        napi_value ready;
        auto opId = beginOp(env, &ready);
        core_->waitForToken(opId, token);

        auto result = Napi::Object::New(env);
        result.Set("id", Napi::Number::New(env, static_cast<double>(listenerId)));
        result.Set("ready", Napi::Value(env, ready));
        return result;
    });
}

// cancelListen(id) -> boolean (false if unknown or already cancelled). No callback runs after it.
Napi::Value DhtRunnerWrap::CancelListen(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        if (!state_)
            return Napi::Boolean::New(env, false);
        auto id = static_cast<uint64_t>(argUint(info, 0, "id"));
        auto it = state_->listeners.find(id);
        if (it == state_->listeners.end())
            return Napi::Boolean::New(env, false);
        if (!joining_)
            core_->runner.cancelListen(it->second.key, it->second.token);
        state_->listeners.erase(it);
        return Napi::Boolean::New(env, true);
    });
}

Napi::Value DhtRunnerWrap::GetNodeId(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), nodeId_ ? nodeId_.toString() : std::string {});
}

Napi::Value DhtRunnerWrap::GetId(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), id_ ? id_.toString() : std::string {});
}

Napi::Value DhtRunnerWrap::GetNodeInfo(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto ni = core_->runner.getNodeInfo();
        auto o = Napi::Object::New(env);
        o.Set("nodeId", nodeId_ ? nodeId_.toString() : std::string {});
        o.Set("id", id_ ? id_.toString() : std::string {});
        o.Set("bound4", Napi::Number::New(env, ni.bound4));
        o.Set("bound6", Napi::Number::New(env, ni.bound6));
        o.Set("ipv4", statsToJs(env, ni.ipv4));
        o.Set("ipv6", statsToJs(env, ni.ipv6));
        o.Set("ongoingOps", Napi::Number::New(env, static_cast<double>(ni.ongoing_ops)));
        return o;
    });
}

// shutdown() -> Promise<void>: OpenDHT's graceful shutdown (searches cancelled); call join() after.
Napi::Value DhtRunnerWrap::Shutdown(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        napi_value promise;
        auto opId = beginOp(env, &promise);
        auto tsfn = tsfn_;
        core_->runner.shutdown([tsfn, opId] {
            post(tsfn, [opId](Napi::Env env, RunnerState& st) {
                resolveOp(env, st, opId, [&] { return env.Undefined(); });
            });
        }, true);
        return Napi::Value(env, promise);
    });
}

// join() -> Promise<void>: stops the node's threads (off the JS thread), rejects whatever is
// still pending with ESHUTDOWN, drops the listeners and releases the TSFN. Idempotent.
Napi::Value DhtRunnerWrap::Join(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        if (!state_ || joining_) {
            auto d = Napi::Promise::Deferred::New(env);
            d.Resolve(env.Undefined());
            return d.Promise();
        }
        joining_ = true;
        auto* worker = new JoinWorker(env, core_, Value());
        auto promise = worker->promise();
        worker->Queue();
        return promise;
    });
}

// maxDataSize(mode, type, recipientBits) -> number: see odn::maxDataSize; signs with this node's identity.
Napi::Value DhtRunnerWrap::MaxDataSize(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        liveState(env);
        auto mode = static_cast<int>(argUint(info, 0, "mode"));
        auto type = static_cast<dht::ValueType::Id>(argUint(info, 1, "type"));
        auto recipientBits = argUint(info, 2, "recipientBits");
        auto owner = mode >= 1 ? core_->runner.getPublicKey() : nullptr;
        return Napi::Number::New(env, static_cast<double>(maxDataSize(mode, type, owner, recipientBits)));
    });
}

}  // namespace odn
