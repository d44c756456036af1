package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {
    @ParameterizedTest
    @CsvSource({"0,0", "4096,4096", "512B,512", "16KiB,16384", "1MiB,1048576", "2GiB,2147483648", "1.5KiB,1536",
            "' 8KiB ',8192", "8k,8192", "8K,8192", "8kb,8192", "8KB,8192", "1m,1048576", "1M,1048576",
            "1mb,1048576", "1g,1073741824", "1G,1073741824", "1.5k,1536"})
    void parsesBytesAndBinaryUnits(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "-1", "16 KiB", "16kib", "1TiB", "8t", "8kB B", "8b", "lots"})
    void refusesOtherForms(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a size; write bytes, or a number and a 1024-based unit (B, KiB, "
                        + "MiB, GiB, or k, m, g as nginx writes them), e.g. 4096, 8k, 16KiB, 1MiB");
    }

    @Test
    void refusesFractionsOfAByte() {
        assertThatThrownBy(() -> Sizes.parse("0.5B")).hasMessageStartingWith("'0.5B' is not a whole number of bytes;");
    }
}
