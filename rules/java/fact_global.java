// Tests for udplint.fact.java.global: class-level initialisers.
class Globals {
    // ruleid: udplint.fact.java.global
    static final int PORT = 1812;
    // ruleid: udplint.fact.java.global
    private String host = "0.0.0.0";

    void f() {
        // ok: udplint.fact.java.global
        int local = 1;
    }
}
