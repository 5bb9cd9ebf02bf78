// asio_impl: the one translation unit that compiles Asio (and its OpenSSL glue) under
// ASIO_SEPARATE_COMPILATION, so no other file pays for Asio's implementation.
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
