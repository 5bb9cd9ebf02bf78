# Helpers shared by every CMakeLists.txt: one way to declare a library, its unit-test binary
# and its fuzz targets, with the project's warnings and sanitizers applied uniformly.

add_library(estafeta_warnings INTERFACE)
target_compile_options(estafeta_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
  $<$<BOOL:${ESTAFETA_WERROR}>:-Werror>)

if(ESTAFETA_SANITIZE)
  add_compile_options(-fsanitize=${ESTAFETA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${ESTAFETA_SANITIZE})
endif()

# Crash points for the crash-safety tests (base/fault_injection.hpp): compiled into every
# build except Release, which is what is benchmarked and installed.
if(NOT CMAKE_BUILD_TYPE STREQUAL "Release")
  add_compile_definitions(ESTAFETA_FAULT_INJECTION)
endif()

# With libFuzzer, every library is compiled with coverage instrumentation (fuzzer-no-link);
# only the fuzz target itself links the fuzzer's main (see estafeta_fuzz). Without this the
# fuzzer sees only the harness's edges and runs blind.
if(ESTAFETA_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Asio compiled once (separate compilation), never header-only in every file.
add_library(estafeta_asio STATIC ${PROJECT_SOURCE_DIR}/src/net/asio_impl.cpp)
target_include_directories(estafeta_asio SYSTEM PUBLIC ${ASIO_INCLUDE_DIR})
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio picks aligned_alloc or operator new for coroutine
# frames by what standard headers came before it, so two files could allocate and free one
# frame differently (an optimised ASan build saw new/free mismatches); one choice everywhere.
target_compile_definitions(estafeta_asio PUBLIC ASIO_SEPARATE_COMPILATION ASIO_NO_DEPRECATED
  ASIO_NO_TYPEID ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(estafeta_asio PUBLIC Threads::Threads OpenSSL::SSL OpenSSL::Crypto)

# estafeta_library(NAME SOURCES a.cpp ... DEPS lib ...)
function(estafeta_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_DEPS} PRIVATE estafeta_warnings ${A_PRIVATE_DEPS})
endfunction()

# estafeta_test(NAME SOURCES a_test.cpp ... DEPS lib ...): one GoogleTest binary per library.
function(estafeta_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
    estafeta_warnings)
  target_compile_definitions(${name} PRIVATE ESTAFETA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 120
    PROPERTIES TIMEOUT 300 LABELS unit)
endfunction()

# estafeta_fuzz(NAME SOURCES fuzz_x.cpp DEPS lib ... [SEEDS dir]): a libFuzzer target when
# ESTAFETA_FUZZ is on (clang); otherwise the same entry point linked with a small driver that
# replays the seed corpus, registered as a unit test so every build proves the target runs.
function(estafeta_fuzz name)
  cmake_parse_arguments(A "" "SEEDS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} estafeta_warnings)
  if(ESTAFETA_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/standalone_main.cpp)
    if(A_SEEDS)
      add_test(NAME ${name}_seeds COMMAND ${name} ${A_SEEDS})
      set_tests_properties(${name}_seeds PROPERTIES TIMEOUT 300 LABELS fuzz-seeds)
    endif()
  endif()
endfunction()

# Fails the configure step if `target` reaches Asio, OpenSSL or SQLite through its link graph.
function(estafeta_forbid_io_deps target)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo cur)
    if(cur IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${cur})
    if(cur MATCHES "OpenSSL|SQLite|estafeta_asio|sqlite|ssl|crypto")
      message(FATAL_ERROR "${target} must not depend on ${cur}: protocol cores are sans-I/O")
    endif()
    if(TARGET ${cur})
      get_target_property(deps ${cur} LINK_LIBRARIES)
      get_target_property(ideps ${cur} INTERFACE_LINK_LIBRARIES)
      foreach(d IN LISTS deps ideps)
        if(d AND NOT d MATCHES "NOTFOUND|^\\$<")
          list(APPEND todo ${d})
        endif()
      endforeach()
    endif()
  endwhile()
endfunction()

# estafeta_glob_library(NAME [DEPS ...] [PRIVATE_DEPS ...] [TEST_DEPS ...]): the library made of
# every *.cpp in the current folder except *_test.cpp, and its test binary NAME_test made of
# the *_test.cpp files. A folder with no sources yet yields an empty INTERFACE library.
function(estafeta_glob_library name)
  cmake_parse_arguments(A "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  if(srcs)
    estafeta_library(${name} SOURCES ${srcs} DEPS ${A_DEPS} PRIVATE_DEPS ${A_PRIVATE_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE ${A_DEPS})
  endif()
  if(tests)
    estafeta_test(${name}_test SOURCES ${tests} DEPS ${name} ${A_TEST_DEPS})
  endif()
endfunction()
