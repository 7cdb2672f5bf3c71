#!/usr/bin/env python3
# source: written for this repository; drives MIT krb5's libgssapi_krb5
# through ctypes so that TestMITInitiator can use MIT's initiator and
# per-message code against our acceptor. The ticket comes from the
# credential cache in KRB5CCNAME.
#
# usage: mit_initiator.py SERVICE@HOST FLAGS CHANNEL-BINDINGS-HEX|-
# Then, one command per line on stdin, one answer per line on stdout:
#   (start)              -> token HEX          the InitialContextToken
#   token HEX            -> established FLAGS  the AP-REP is verified
#   unwrap HEX           -> plain CONF HEX | error MAJOR MINOR
#   wrap CONF HEX        -> token HEX
#   mic HEX              -> token HEX
#   verify MSGHEX TOKHEX -> ok | error MAJOR MINOR
import ctypes
import sys

lib = ctypes.CDLL("libgssapi_krb5.so.2")
u32 = ctypes.c_uint32


class Buf(ctypes.Structure):
    _fields_ = [("length", ctypes.c_size_t), ("value", ctypes.c_void_p)]


class CB(ctypes.Structure):
    _fields_ = [("initiator_addrtype", u32), ("initiator_address", Buf),
                ("acceptor_addrtype", u32), ("acceptor_address", Buf),
                ("application_data", Buf)]


keep = []


def buf(data):
    b = ctypes.create_string_buffer(data, len(data))
    keep.append(b)
    return Buf(len(data), ctypes.cast(b, ctypes.c_void_p))


def take(b):
    data = ctypes.string_at(b.value, b.length) if b.length else b""
    lib.gss_release_buffer(ctypes.byref(u32()), ctypes.byref(b))
    return data


def unhex(s):
    return b"" if s == "-" else bytes.fromhex(s)


def say(*words):
    print(*words, flush=True)


def failed(major):
    return major & 0xFFFF0000


minor = u32()
service, flags, cbhex = sys.argv[1], int(sys.argv[2]), sys.argv[3]
name = ctypes.c_void_p()
nt = ctypes.c_void_p.in_dll(lib, "GSS_C_NT_HOSTBASED_SERVICE")
sb = buf(service.encode())
major = lib.gss_import_name(ctypes.byref(minor), ctypes.byref(sb), nt, ctypes.byref(name))
if failed(major):
    sys.exit("gss_import_name: %x %d" % (major, minor.value))
mech = ctypes.c_void_p.in_dll(lib, "gss_mech_krb5")
cb = None
if cbhex != "-":
    cb = CB(0, Buf(0, None), 0, Buf(0, None), buf(unhex(cbhex)))
ctx = ctypes.c_void_p()
ret_flags = u32()


def init(token):
    out = Buf(0, None)
    inp = buf(token) if token is not None else Buf(0, None)
    major = lib.gss_init_sec_context(
        ctypes.byref(minor), None, ctypes.byref(ctx), name, mech, u32(flags), u32(0),
        ctypes.byref(cb) if cb is not None else None, ctypes.byref(inp), None,
        ctypes.byref(out), ctypes.byref(ret_flags), None)
    if failed(major):
        sys.exit("gss_init_sec_context: %x %d" % (major, minor.value))
    return major, take(out)


major, tok = init(None)
say("token", tok.hex())
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "token":
        major, tok = init(unhex(args[0]))
        say("established", ret_flags.value)
    elif cmd == "unwrap":
        inp, out, conf, qop = buf(unhex(args[0])), Buf(0, None), ctypes.c_int(), u32()
        major = lib.gss_unwrap(ctypes.byref(minor), ctx, ctypes.byref(inp), ctypes.byref(out), ctypes.byref(conf), ctypes.byref(qop))
        if major:
            say("error", major, minor.value)
        else:
            say("plain", conf.value, take(out).hex() or "-")
    elif cmd == "wrap":
        inp, out, conf = buf(unhex(args[1])), Buf(0, None), ctypes.c_int()
        major = lib.gss_wrap(ctypes.byref(minor), ctx, ctypes.c_int(int(args[0])), u32(0), ctypes.byref(inp), ctypes.byref(conf), ctypes.byref(out))
        say("token", take(out).hex()) if not major else say("error", major, minor.value)
    elif cmd == "mic":
        inp, out = buf(unhex(args[0])), Buf(0, None)
        major = lib.gss_get_mic(ctypes.byref(minor), ctx, u32(0), ctypes.byref(inp), ctypes.byref(out))
        say("token", take(out).hex()) if not major else say("error", major, minor.value)
    elif cmd == "verify":
        m, t, qop = buf(unhex(args[0])), buf(unhex(args[1])), u32()
        major = lib.gss_verify_mic(ctypes.byref(minor), ctx, ctypes.byref(m), ctypes.byref(t), ctypes.byref(qop))
        say("ok") if not major else say("error", major, minor.value)
