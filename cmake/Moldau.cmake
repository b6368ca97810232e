# moldau_library(NAME SOURCES a.cc b.cc DEPS other_lib ...)
#   A static library `moldau_NAME` whose headers are included as "NAME/x.h".
function(moldau_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(moldau_${name} STATIC ${A_SOURCES})
  target_include_directories(moldau_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(moldau_${name} PUBLIC ${A_DEPS})
endfunction()

# moldau_test(NAME SOURCES a_test.cc ... DEPS lib ...)
#   A GoogleTest executable registered with ctest, one ctest entry per test.
function(moldau_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
