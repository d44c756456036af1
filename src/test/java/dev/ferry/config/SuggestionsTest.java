package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SuggestionsTest {
    private static final List<String> KEYS = List.of("name", "listen", "mode", "backend", "max_connections");

    @Test
    void suggestsTheClosestKeyForTyposTranspositionsAndCase() {
        assertThat(Suggestions.closest("mdoe", KEYS)).contains("mode");
        assertThat(Suggestions.closest("lisen", KEYS)).contains("listen");
        assertThat(Suggestions.closest("Backend", KEYS)).contains("backend");
        assertThat(Suggestions.closest("max_conections", KEYS)).contains("max_connections");
    }

    @Test
    void suggestsNothingWhenNoCandidateIsClose() {
        assertThat(Suggestions.closest("colour", KEYS)).isEmpty();
        assertThat(Suggestions.closest("icmp", List.of("tcp", "http", "agent"))).isEmpty();
        assertThat(Suggestions.closest("x", List.of())).isEmpty();
    }

    @Test
    void distanceCountsAnAdjacentSwapAsOneEdit() {
        assertThat(Suggestions.distance("mdoe", "mode")).isEqualTo(1);
        assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
        assertThat(Suggestions.distance("same", "same")).isZero();
    }
}
