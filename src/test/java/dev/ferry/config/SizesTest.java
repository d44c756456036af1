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
            "' 8KiB ',8192"})
    void parsesBytesAndBinaryUnits(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "-1", "16 KiB", "16kib", "1TiB", "lots"})
    void refusesOtherForms(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a size; write bytes, or a number and a unit (B, KiB, MiB or GiB), "
                        + "e.g. 4096, 16KiB, 1MiB");
    }

    @Test
    void refusesDecimalUnitsNamingTheBinaryOne() {
        assertThatThrownBy(() -> Sizes.parse("16KB")).hasMessage(
                "'16KB' uses a decimal unit; sizes use binary units, write 16KiB for 16 x 1024 bytes");
        assertThatThrownBy(() -> Sizes.parse("1m")).hasMessage(
                "'1m' uses a decimal unit; sizes use binary units, write 1MiB for 1 x 1024^2 bytes");
    }

    @Test
    void refusesFractionsOfAByte() {
        assertThatThrownBy(() -> Sizes.parse("0.5B")).hasMessageStartingWith("'0.5B' is not a whole number of bytes;");
    }
}
