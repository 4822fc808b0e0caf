# One warning set for all of our targets (third-party headers are SYSTEM includes).
function(bitblock_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unknown-pragmas>)
endfunction()
