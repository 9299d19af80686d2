import CJackShim
