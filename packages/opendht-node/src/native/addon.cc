// Module entry point: registers the crypto, value and DhtRunner bindings.
#include "common.h"
#include "crypto_wrap.h"
#include "dht_runner_wrap.h"
#include "value_convert.h"

#include <opendht/utils.h>

namespace odn {

Napi::Object init(Napi::Env env, Napi::Object exports) {
    env.SetInstanceData(new AddonData);
    initRunnerRegistry();
    initCrypto(env, exports);
    initValue(env, exports);
    auto runner = DhtRunnerWrap::Define(env);
    addonData(env).dhtRunnerCtor = Napi::Persistent(runner);
    exports.Set("NativeDhtRunner", runner);
    // Runtime library version, and the one the addon was compiled against (pkg-config).
    exports.Set("opendhtVersion", Napi::String::New(env, dht::version()));
    exports.Set("opendhtBuildVersion", Napi::String::New(env, OPENDHT_NODE_BUILD_VERSION));
    return exports;
}

}  // namespace odn

static Napi::Object initModule(Napi::Env env, Napi::Object exports) {
    return odn::init(env, exports);
}

NODE_API_MODULE(opendht_node, initModule)
