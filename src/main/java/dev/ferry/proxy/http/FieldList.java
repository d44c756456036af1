package dev.ferry.proxy.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Header fields held as a list of name and value strings, for heads that did not arrive as HTTP/1 bytes (an HTTP/2
 * header block, {@link Http2RequestHead}). Names are kept as given; they compare case-insensitively, as
 * {@link HeaderFields} says. A head has tens of fields, so a scan beats a map.
 *
 * <p>Threading: belongs to one message on one event loop.
 */
final class FieldList implements HeaderFields {
    private final List<String> names;
    private final List<String> values;

    FieldList(int expected) {
        this.names = new ArrayList<>(expected);
        this.values = new ArrayList<>(expected);
    }

    int size() {
        return names.size();
    }

    String name(int i) {
        return names.get(i);
    }

    String value(int i) {
        return values.get(i);
    }

    @Override
    public String get(String name) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                return values.get(i);
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(String name) {
        List<String> all = new ArrayList<>(1);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                all.add(values.get(i));
            }
        }
        return all;
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    @Override
    public boolean contains(String name, String value) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name) && values.get(i).equals(value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean listHas(String name, String token) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                for (String element : values.get(i).split(",")) {
                    if (element.trim().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public void add(String name, String value) {
        names.add(name);
        values.add(value);
    }

    @Override
    public void set(String name, String value) {
        int first = -1;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                if (first < 0) {
                    first = i;
                    values.set(i, value);
                } else {
                    names.remove(i);
                    values.remove(i);
                    i--;
                }
            }
        }
        if (first < 0) {
            add(name, value);
        }
    }

    @Override
    public void remove(String name) {
        for (int i = names.size() - 1; i >= 0; i--) {
            if (names.get(i).equalsIgnoreCase(name)) {
                names.remove(i);
                values.remove(i);
            }
        }
    }

    @Override
    public void forEach(BiConsumer<String, String> visitor) {
        for (int i = 0; i < names.size(); i++) {
            visitor.accept(names.get(i), values.get(i));
        }
    }
}
