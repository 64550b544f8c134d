// JS wrapper of dht::DhtRunner. OpenDHT calls back on its own threads; every callback becomes
// a Job queued on one thread-safe function per runner and runs on the JS thread.
#pragma once

#include "common.h"

#include <opendht/dhtrunner.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace odn {

class DhtRunnerWrap;
struct RunnerState;

struct Job {
    std::function<void(Napi::Env, RunnerState&)> run;
};

void dispatchJob(Napi::Env env, Napi::Function unused, RunnerState* state, Job* job);
using RunnerTsfn = Napi::TypedThreadSafeFunction<RunnerState, Job, dispatchJob>;

struct ListenerEntry {
    Napi::FunctionReference callback;
    dht::InfoHash key;
    std::shared_future<size_t> token;
};

// Touched on the JS thread only. Owned by the thread-safe function: its finalizer deletes it
// once every queued job has run, so jobs can always reach it.
struct RunnerState {
    DhtRunnerWrap* wrap {nullptr};  // null once the wrapper has let go of the TSFN
    std::unordered_map<uint64_t, napi_deferred> ops;  // pending promises, settled exactly once
    std::unordered_map<uint64_t, ListenerEntry> listeners;
};

// The OpenDHT node plus the thread that waits for listen tokens. joinOnce() stops both, after
// which no OpenDHT callback can fire: only then may the TSFN be released.
struct RunnerCore {
    explicit RunnerCore(RunnerTsfn tsfn);
    ~RunnerCore();
    void joinOnce();
    void waitForToken(uint64_t opId, std::shared_future<size_t> token);

    dht::DhtRunner runner;
    RunnerTsfn tsfn;

private:
    void waiterLoop();

    std::mutex joinMutex_;
    std::mutex waitMutex_;
    std::condition_variable waitCv_;
    std::deque<std::pair<uint64_t, std::shared_future<size_t>>> waitQueue_;
    bool stopWaiter_ {false};
    std::thread waiter_;
};

class DhtRunnerWrap : public Napi::ObjectWrap<DhtRunnerWrap> {
public:
    static Napi::Function Define(Napi::Env env);
    explicit DhtRunnerWrap(const Napi::CallbackInfo& info);
    ~DhtRunnerWrap() override;

    void onIdle(Napi::Env env);
    void onStateFinalized() { state_ = nullptr; }
    void afterJoin(Napi::Env env);

private:
    Napi::Value Run(const Napi::CallbackInfo& info);
    Napi::Value GetBoundPort(const Napi::CallbackInfo& info);
    Napi::Value Bootstrap(const Napi::CallbackInfo& info);
    Napi::Value Get(const Napi::CallbackInfo& info);
    Napi::Value Put(const Napi::CallbackInfo& info);
    Napi::Value PutPacked(const Napi::CallbackInfo& info);
    Napi::Value CancelPut(const Napi::CallbackInfo& info);
    Napi::Value Listen(const Napi::CallbackInfo& info);
    Napi::Value CancelListen(const Napi::CallbackInfo& info);
    Napi::Value GetNodeId(const Napi::CallbackInfo& info);
    Napi::Value GetId(const Napi::CallbackInfo& info);
    Napi::Value GetNodeInfo(const Napi::CallbackInfo& info);
    Napi::Value Shutdown(const Napi::CallbackInfo& info);
    Napi::Value Join(const Napi::CallbackInfo& info);
    Napi::Value MaxDataSize(const Napi::CallbackInfo& info);

    RunnerState& liveState(Napi::Env env);
    uint64_t beginOp(Napi::Env env, napi_value* promise);
    void releaseTsfn();
    static void envCleanup(void* arg);

    std::shared_ptr<RunnerCore> core_;
    RunnerTsfn tsfn_;
    RunnerState* state_ {nullptr};
    napi_env env_ {nullptr};
    bool hookActive_ {false};
    bool joining_ {false};
    uint64_t nextOpId_ {1};
    uint64_t nextListenerId_ {1};
    dht::InfoHash nodeId_ {};
    dht::InfoHash id_ {};
};

// Joins every live runner at process exit (process.exit() skips env cleanup hooks).
void initRunnerRegistry();

}  // namespace odn
