# LetheModule.cmake - one CMake object library per module, each exposing only its own headers.
#
# Sources include each other's headers as "<module>/<file>.h" (and "include/lethe.h"), so a
# module's include directory cannot be the source tree: that would show every module to every
# other. Instead each module gets an include root of its own in the build tree,
# ${LETHE_MODULE_ROOT}/<module>, holding one link, <module> -> the module's source directory.
# A target sees "keys/wrap.h" only if it links lt_keys (directly, or through a module whose
# headers include keys'); reaching into a module it does not depend on fails to compile.
#
#   lethe_module(<name> SOURCES <files...> [USES <modules...>] [LIBS <targets...>]
#                [DEFINES <definitions...>])
#
# makes lt_<name>, an OBJECT library of SOURCES (relative to the calling directory) that
# exposes the root of <name> and of every module in USES (transitively, since a header may
# include the headers it depends on), and links LIBS (outside packages) privately. In a test
# build without -DLETHE_FAULT_INJECTION=ON it also makes lt_<name>_fault, the same sources
# with the fault points of common/fault.h compiled in, for lethe-fault.
#
#   lethe_module_closure(<out> <name>)   lt_<name> and every module it uses, as target names
#   lethe_link_modules(<target> <name>)  link <target> with the objects of that closure

set(LETHE_MODULE_ROOT ${PROJECT_BINARY_DIR}/modules)

# "include/lethe.h", the public header, for every module: an interface of its own.
file(MAKE_DIRECTORY ${LETHE_MODULE_ROOT}/api)
file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include ${LETHE_MODULE_ROOT}/api/include SYMBOLIC)
add_library(lt_api INTERFACE)
target_include_directories(lt_api INTERFACE ${LETHE_MODULE_ROOT}/api)

if(BUILD_TESTING AND NOT LETHE_FAULT_INJECTION)
  set(LETHE_MODULE_VARIANTS plain fault)
else()
  set(LETHE_MODULE_VARIANTS plain)
endif()

function(lethe_module name)
  cmake_parse_arguments(M "" "" "SOURCES;USES;LIBS;DEFINES" ${ARGN})
  file(MAKE_DIRECTORY ${LETHE_MODULE_ROOT}/${name})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${LETHE_MODULE_ROOT}/${name}/${name} SYMBOLIC)
  foreach(kind IN LISTS LETHE_MODULE_VARIANTS)
    # (a list cannot hold an empty suffix alone: name the variants, then map them)
    if(kind STREQUAL "fault")
      set(variant _fault)
    else()
      set(variant "")
    endif()
    set(target lt_${name}${variant})
    add_library(${target} OBJECT ${M_SOURCES})
    target_include_directories(${target} PUBLIC ${LETHE_MODULE_ROOT}/${name})
    # LETHE_API exports (include/lethe.h) from every module that defines public calls
    target_compile_definitions(${target} PRIVATE LETHE_BUILDING ${M_DEFINES})
    if(variant STREQUAL "_fault")
      target_compile_definitions(${target} PRIVATE LETHE_FAULT_INJECTION=1)
    endif()
    set(uses)
    foreach(dep IN LISTS M_USES)
      list(APPEND uses lt_${dep}${variant})
    endforeach()
    target_link_libraries(${target} PUBLIC lt_api ${uses} PRIVATE ${M_LIBS})
  endforeach()
  set_property(GLOBAL PROPERTY LETHE_MODULE_USES_${name} ${M_USES})
  set_property(GLOBAL APPEND PROPERTY LETHE_MODULES ${name})
endfunction()

function(lethe_module_closure out name)
  set(todo ${name})
  set(seen)
  while(todo)
    list(POP_FRONT todo m)
    if(m IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${m})
    get_property(uses GLOBAL PROPERTY LETHE_MODULE_USES_${m})
    list(APPEND todo ${uses})
  endwhile()
  list(TRANSFORM seen PREPEND lt_)
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# The objects of a module and of everything below it: an object library's objects reach only
# the targets that link it directly.
function(lethe_link_modules target name)
  lethe_module_closure(closure ${name})
  target_link_libraries(${target} PRIVATE ${closure})
endfunction()
