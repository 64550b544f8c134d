// dht::Value <-> JS conversions and the low-level packed-value helpers.
#pragma once

#include "common.h"

#include <opendht/value.h>

namespace odn {

// { id: bigint, data: Buffer, type, seq, signed, encrypted, owner?: NativePublicKey, ownerId?, recipient?, userType? }
Napi::Object valueToJs(Napi::Env env, const dht::Value& v);

// Reads a BigInt or a safe-integer Number as a value id (0 = let OpenDHT choose).
dht::Value::Id argValueId(const Napi::CallbackInfo& info, size_t i);

// Largest `data` (bytes) OpenDHT accepts and delivers for a value of type `type` put as
//   mode 0: plain, 1: signed by `owner`, 2: signed by `owner` and encrypted for a key of
//   `recipientBits` bits. Mirrors what OpenDHT checks: Value::size() <= MAX_VALUE_SIZE on storage,
//   and a packed value of at most MAX_VALUE_SIZE + 32 bytes on reception (parsed_message.h).
//   Unknown fields (id, seq) are taken at their largest encoding.
size_t maxDataSize(int mode, dht::ValueType::Id type, const std::shared_ptr<dht::crypto::PublicKey>& owner,
                   unsigned recipientBits);

// packValue(data, type, id, seq, signer|null) -> Buffer (msgpack, as sent on the wire)
// unpackValue(Buffer) -> JS value (signature not checked; `signatureValid` tells)
void initValue(Napi::Env env, Napi::Object exports);

}  // namespace odn
