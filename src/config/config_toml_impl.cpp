// config_toml_impl: the one translation unit that compiles toml++'s implementation
// (TOML_HEADER_ONLY=0 and TOML_EXCEPTIONS=0 are set for the whole estafeta_config library,
// see CMakeLists.txt), so the heavy header is not instantiated in every file.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
