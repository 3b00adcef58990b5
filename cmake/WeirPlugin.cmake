# weir_add_plugin(<target> SOURCES ... [LIBS ...])
# Builds one plugin .so into the build's plugin directory, against the SDK only.
function(weir_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE weir::plugin_sdk ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${WEIR_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT WEIR_FUZZ)  # clang resolves sanitizer symbols from the executable
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${WEIR_BUILTIN_PLUGIN_DIR_INSTALLED})
  set_property(GLOBAL APPEND PROPERTY WEIR_PLUGIN_TARGETS ${target})
endfunction()
