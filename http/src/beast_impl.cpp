// The one translation unit that holds Beast's non-template code.
#include <boost/beast/src.hpp>
