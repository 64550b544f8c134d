{
  "targets": [
    {
      "target_name": "opendht_node",
      "sources": [
        "src/native/addon.cc",
        "src/native/common.cc",
        "src/native/crypto_wrap.cc",
        "src/native/value_convert.cc",
        "src/native/dht_runner_wrap.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "OPENDHT_NODE_BUILD_VERSION=\"<!(pkg-config --modversion opendht)\"",
        "OPENDHT_NODE_OPENDHT_MAJOR=<!(pkg-config --modversion opendht | cut -d. -f1)"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": [
        "-std=gnu++17",
        "-fexceptions",
        "-frtti",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "<!@(pkg-config --cflags opendht gnutls)"
      ],
      "libraries": [
        "<!@(pkg-config --libs opendht gnutls)"
      ]
    }
  ]
}
