// std::string's out-of-line members (append, reserve, resize, growth, copies), instantiated
// here with the core's flags. libc++ declares them `extern template`, so every call in the
// core goes to one instantiation; without this file the linker takes the prebuilt library's,
// and the libc++ of Debian's Emscripten 3.1.6 marks every function of it `minsize noinline`
// (llvm-dis of the cache's lto/libc++-noexcept.a): each append then called size(),
// __is_long() and __get_pointer() out of line. This copy prevails at link, since objects come
// before archives, and lets those inline.
#ifdef __EMSCRIPTEN__
#include <string>

template class std::basic_string<char>;
#endif
